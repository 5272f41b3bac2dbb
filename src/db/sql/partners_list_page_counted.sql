), counts AS (
     -- With a search or a group, one pass over the enterprise's partners for the meter (live, total) and
     -- the search's count (the same conditions as `visible`, repeated: a second scan of
     -- `visible` read every partner again).
     SELECT c.live, c.total, c.matched, LEAST($6, GREATEST(c.matched - 1, 0) / $7 * $7) AS page_offset
       FROM (SELECT count(*) FILTER (WHERE p.status IN ('requested', 'invited', 'applied', 'active')) AS live,
                    count(*) AS total,
                    count(*) FILTER (WHERE ($3 OR $4::text IS NOT NULL OR p.status IN ('requested', 'invited', 'applied', 'active'))
                                       AND ($4::text IS NULL OR p.status = $4)
                                       AND ($8::bigint IS NULL OR p.group_id = $8)
