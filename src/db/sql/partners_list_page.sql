SELECT e.partner_limit::bigint AS partner_limit, dr.id AS draft_id, dr.name AS draft_name,
       p.id, p.name, p.status, p.created_at, m.has_logo, l.updated_at AS logo_updated_at, m.domains,
       m.admin_name, m.admin_email, m.admin_pending,
       m.product_count::bigint AS product_count, m.api_count::bigint AS api_count, o.partner_code
  FROM enterprises e
  LEFT JOIN LATERAL (
       SELECT id, name FROM partner_drafts
        WHERE enterprise_id = e.id AND created_by = $2 AND submitted_partner_id IS NULL
        ORDER BY updated_at DESC LIMIT 1
  ) dr ON true
  LEFT JOIN partners p ON p.enterprise_id = e.id
  LEFT JOIN partner_summaries m ON m.partner_id = p.id
  LEFT JOIN partner_logos l ON l.partner_id = p.id
  LEFT JOIN partner_organisations o ON o.id = p.organisation_id
 WHERE e.id = $1
 ORDER BY (p.status IN ('deactivated', 'declined')), p.created_at DESC, p.id DESC
