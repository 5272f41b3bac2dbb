UPDATE partner_domains d
   SET check_locked_until = now() + make_interval(secs => $2::double precision / 1000)
  FROM partners p
 WHERE p.id = d.partner_id AND p.enterprise_id = d.enterprise_id
   AND d.id IN (
       SELECT id FROM partner_domains
        WHERE verified_at IS NOT NULL AND active
          AND next_check_at <= now()
          AND (check_locked_until IS NULL OR check_locked_until < now())
        ORDER BY next_check_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED)
   -- Checked again on the row as it is now, should another claim have committed meanwhile.
   AND (d.check_locked_until IS NULL OR d.check_locked_until < now())
RETURNING d.id, d.enterprise_id, d.partner_id, d.domain, d.verification_token,
          p.name AS partner_name, d.check_locked_until AS locked_until
