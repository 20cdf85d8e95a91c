-- Paced, queued sending (docs/pacing.md). A queued delivery is `accepted` until the queue consumer
-- claims it; `queued_until` is when the cron takes it for lost and puts it on the queue again (the
-- consumer moves it forward when the sender's pace makes it wait longer). `sender` and `segments` are
-- what the pacer counted: the sender the message goes out from and its SMS segments.
ALTER TABLE deliveries ADD COLUMN sender TEXT;
ALTER TABLE deliveries ADD COLUMN segments INTEGER;
ALTER TABLE deliveries ADD COLUMN queued_until INTEGER;
CREATE INDEX deliveries_accepted ON deliveries (state, queued_until) WHERE state = 'accepted';
