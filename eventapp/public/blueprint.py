"""The public blueprint: the events list, event pages and participant self-service."""

from flask import Blueprint

bp = Blueprint("public", __name__)
