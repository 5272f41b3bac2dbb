 ) c
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
  -- The page: the filter's partners in the sort's order, from the clamped offset.
  LEFT JOIN LATERAL (
       SELECT p.id, p.name, p.status, p.created_at
         FROM partners p
        WHERE p.enterprise_id = e.id
          AND ($3 OR $4::text IS NOT NULL OR p.status IN ('requested', 'invited', 'applied', 'active'))
          AND ($4::text IS NULL OR p.status = $4)
          AND ($8::bigint IS NULL OR p.group_id = $8)
