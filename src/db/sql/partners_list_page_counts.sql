), counts AS (
     SELECT u.live, u.total, v.matched, LEAST($6, GREATEST(v.matched - 1, 0) / $7 * $7) AS page_offset
       FROM (SELECT count(*) FILTER (WHERE status IN ('requested', 'invited', 'active')) AS live, count(*) AS total
               FROM partners WHERE enterprise_id = $1) u,
            (SELECT count(*) AS matched FROM visible) v
), page AS (
