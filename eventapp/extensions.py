"""Flask extensions, created unbound here and bound to the app in create_app()."""

from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()

login_manager = LoginManager()
login_manager.login_view = "admin.login"
login_manager.login_message = _l("Connectez-vous pour accéder à l'espace organisateurs.")
login_manager.login_message_category = "info"
# Memory storage by default (create_app sets RATELIMIT_STORAGE_URI unless configured); several
# workers or hosts share one through EVENTAPP_RATELIMIT_STORAGE_URI (e.g. redis://…).
# No default limit: only the routes that say so are limited.
limiter = Limiter(key_func=get_remote_address)
