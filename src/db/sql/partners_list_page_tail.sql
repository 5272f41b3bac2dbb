)
SELECT e.partner_limit::bigint AS partner_limit, dr.id AS draft_id, dr.name AS draft_name,
       c.live, c.total, c.matched,
       p.id, p.name, p.status, p.created_at, m.has_logo, m.logo_updated_at, m.domains,
       m.admin_name, m.admin_email, m.admin_pending,
       m.product_count::bigint AS product_count, m.api_count::bigint AS api_count, m.partner_code,
       gr.group_options
  FROM enterprises e
 CROSS JOIN counts c
  LEFT JOIN LATERAL (
       SELECT id, name FROM partner_drafts
        WHERE enterprise_id = e.id AND created_by = $2 AND submitted_partner_id IS NULL
        ORDER BY updated_at DESC LIMIT 1
  ) dr ON true
  -- The Group filter's choices, once (the enterprise is one row): [[id, name], …], default first.
  LEFT JOIN LATERAL (
       SELECT json_agg(json_build_array(g.id, g.name) ORDER BY g.is_default DESC, lower(g.name), g.id)::text
              AS group_options
         FROM partner_groups g WHERE g.enterprise_id = e.id
  ) gr ON true
  LEFT JOIN page p ON true
  -- LATERAL … LIMIT 1: a keyed lookup per row of the page. With plain joins the generic plan
  -- (it guesses 200 rows for the six branches) hashed the whole of partner_summaries.
  LEFT JOIN LATERAL (
       SELECT has_logo, logo_updated_at, domains, admin_name, admin_email, admin_pending, product_count,
              api_count, partner_code
         FROM partner_summaries WHERE partner_id = p.id LIMIT 1
  ) m ON true
 WHERE e.id = $1
 ORDER BY p.ord
