     -- Without a search or a group, every count comes from partner_status_counts (a row per
     -- status that the enterprise's partners have, kept by triggers): the meter's live and
     -- total, and the filter's count, under the same conditions as the page's rows.
     SELECT COALESCE(sum(n) FILTER (WHERE status IN ('requested', 'invited', 'applied', 'active')), 0)::bigint AS live,
            COALESCE(sum(n), 0)::bigint AS total,
            COALESCE(sum(n) FILTER (WHERE ($3 OR $4::text IS NOT NULL OR status IN ('requested', 'invited', 'applied', 'active'))
                                      AND ($4::text IS NULL OR status = $4)), 0)::bigint AS matched
       FROM partner_status_counts
      WHERE enterprise_id = $1
