UPDATE outbox_emails o
   SET status = 'sending',
       locked_until = now() + make_interval(secs => $2::double precision / 1000),
       attempts = o.attempts + 1
 WHERE o.id IN (
       SELECT id FROM outbox_emails
        WHERE (status = 'queued' AND next_attempt_at <= now())
           OR (status = 'sending' AND locked_until < now())
        ORDER BY id
        LIMIT $1
        FOR UPDATE SKIP LOCKED)
RETURNING o.id, o.message_id, o.to_address, o.subject, o.text_body, o.html_body, o.attempts
