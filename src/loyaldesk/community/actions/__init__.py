"""Every change to the community, one transaction each (the caller's unit of work): asking and answering,
votes and accepted answers (with their points), moderation, events and RSVPs, settings and categories,
display names, and publishing an accepted answer as a knowledge-base article."""
