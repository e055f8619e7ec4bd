// Reads one iCalendar object on stdin with Mozilla's ical.js (Thunderbird's parser) and prints
// what a calendar client would show, as JSON, for the pytest suite to assert on.
//
// Only the VTIMEZONE components found in the calendar itself are registered (ical.js knows no
// other zone than UTC), so every UTC time printed here proves the calendar's own VTIMEZONE.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const calendar = new ICAL.Component(ICAL.parse(text));
const zones = [];
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  const zone = new ICAL.Timezone(vtimezone);
  ICAL.TimezoneService.register(zone, zone.tzid);
  zones.push(zone.tzid);
}

const utc = (time) => (time ? time.toJSDate().toISOString() : null);
const address = (property) =>
  property
    ? {
        value: property.getFirstValue(),
        cn: property.getParameter("cn") ?? null,
        partstat: property.getParameter("partstat") ?? null,
      }
    : null;

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    start: utc(event.startDate),
    end: utc(event.endDate),
    start_zone: event.startDate ? event.startDate.zone.tzid : null,
    end_zone: event.endDate ? event.endDate.zone.tzid : null,
    start_local: event.startDate ? event.startDate.toString() : null,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    url: vevent.getFirstPropertyValue("url"),
    categories: vevent.getAllProperties("categories").flatMap((p) => p.getValues()),
    stamp: utc(vevent.getFirstPropertyValue("dtstamp")),
    last_modified: utc(vevent.getFirstPropertyValue("last-modified")),
    organizer: address(vevent.getFirstProperty("organizer")),
    attendees: vevent.getAllProperties("attendee").map(address),
  };
});

process.stdout.write(
  JSON.stringify({
    prodid: calendar.getFirstPropertyValue("prodid"),
    version: calendar.getFirstPropertyValue("version"),
    method: calendar.getFirstPropertyValue("method"),
    name: calendar.getFirstPropertyValue("x-wr-calname"),
    refresh_interval: String(calendar.getFirstPropertyValue("refresh-interval") ?? ""),
    timezones: zones,
    events,
  }),
);
