     -- With a search or a group, one pass over the enterprise's partners for the meter (live,
     -- total) and the filter's count (the page's conditions, repeated).
     SELECT count(*) FILTER (WHERE p.status IN ('requested', 'invited', 'applied', 'active')) AS live,
            count(*) AS total,
            count(*) FILTER (WHERE ($3 OR $4::text IS NOT NULL OR p.status IN ('requested', 'invited', 'applied', 'active'))
                               AND ($4::text IS NULL OR p.status = $4)
                               AND ($8::bigint IS NULL OR p.group_id = $8)
