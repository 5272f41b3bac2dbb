-- Settings → Partners, one page: $1 enterprise, $2 the admin (their unfinished draft),
-- $3 show deactivated and declined partners, $4 only this status, $5 search (name or one
-- domain), $6 sort (created | name | status), $7 direction (asc | desc), $8 offset asked for,
-- $9 page size. The count and the page come from the same snapshot; an offset past the end is
-- the last page's.
--
-- One branch per sort: only the one whose $6/$7 match runs (a one-time filter), and each has a
-- static ORDER BY, so the default order (live first, newest first) is read from the index
-- partners_list_order and stops after the page instead of sorting every partner.
WITH visible AS NOT MATERIALIZED (
     SELECT p.id, p.name, p.status, p.created_at, p.organisation_id
       FROM partners p
      WHERE p.enterprise_id = $1
        AND ($3 OR $4::text IS NOT NULL OR p.status IN ('requested', 'invited', 'active'))
        AND ($4::text IS NULL OR p.status = $4)
        AND ($5::text IS NULL
             OR strpos(lower(p.name), lower($5)) > 0
             -- Within one domain, never across two.
             OR EXISTS (SELECT 1 FROM partner_summaries ms, unnest(string_to_array(ms.domains, ', ')) AS d(domain)
                         WHERE ms.partner_id = p.id AND strpos(lower(d.domain), lower($5)) > 0))
), counts AS (
     SELECT u.live, u.total, v.matched, LEAST($8, GREATEST(v.matched - 1, 0) / $9 * $9) AS page_offset
       FROM (SELECT count(*) FILTER (WHERE status IN ('requested', 'invited', 'active')) AS live, count(*) AS total
               FROM partners WHERE enterprise_id = $1) u,
            (SELECT count(*) AS matched FROM visible) v
), page AS (
     SELECT p.*, row_number() OVER (ORDER BY p.status IN ('deactivated', 'declined'), p.created_at DESC, p.id DESC) AS ord
       FROM (SELECT * FROM visible p WHERE $6 = 'created' AND $7 = 'desc'
              ORDER BY p.status IN ('deactivated', 'declined'), p.created_at DESC, p.id DESC
              LIMIT $9 OFFSET (SELECT page_offset FROM counts)) p
      UNION ALL
     SELECT p.*, row_number() OVER (ORDER BY p.status IN ('deactivated', 'declined'), p.created_at, p.id) AS ord
       FROM (SELECT * FROM visible p WHERE $6 = 'created' AND $7 = 'asc'
              ORDER BY p.status IN ('deactivated', 'declined'), p.created_at, p.id
              LIMIT $9 OFFSET (SELECT page_offset FROM counts)) p
      UNION ALL
     SELECT p.*, row_number() OVER (ORDER BY p.status IN ('deactivated', 'declined'), lower(p.name), p.id) AS ord
       FROM (SELECT * FROM visible p WHERE $6 = 'name' AND $7 = 'asc'
              ORDER BY p.status IN ('deactivated', 'declined'), lower(p.name), p.id
              LIMIT $9 OFFSET (SELECT page_offset FROM counts)) p
      UNION ALL
     SELECT p.*, row_number() OVER (ORDER BY p.status IN ('deactivated', 'declined'), lower(p.name) DESC, p.id DESC) AS ord
       FROM (SELECT * FROM visible p WHERE $6 = 'name' AND $7 = 'desc'
              ORDER BY p.status IN ('deactivated', 'declined'), lower(p.name) DESC, p.id DESC
              LIMIT $9 OFFSET (SELECT page_offset FROM counts)) p
      UNION ALL
     SELECT p.*, row_number() OVER (ORDER BY p.status IN ('deactivated', 'declined'), p.status, p.created_at DESC, p.id DESC) AS ord
       FROM (SELECT * FROM visible p WHERE $6 = 'status' AND $7 = 'asc'
              ORDER BY p.status IN ('deactivated', 'declined'), p.status, p.created_at DESC, p.id DESC
              LIMIT $9 OFFSET (SELECT page_offset FROM counts)) p
      UNION ALL
     SELECT p.*, row_number() OVER (ORDER BY p.status IN ('deactivated', 'declined'), p.status DESC, p.created_at DESC, p.id DESC) AS ord
       FROM (SELECT * FROM visible p WHERE $6 = 'status' AND $7 = 'desc'
              ORDER BY p.status IN ('deactivated', 'declined'), p.status DESC, p.created_at DESC, p.id DESC
              LIMIT $9 OFFSET (SELECT page_offset FROM counts)) p
)
SELECT e.partner_limit::bigint AS partner_limit, dr.id AS draft_id, dr.name AS draft_name,
       c.live, c.total, c.matched,
       p.id, p.name, p.status, p.created_at, m.has_logo, l.updated_at AS logo_updated_at, m.domains,
       m.admin_name, m.admin_email, m.admin_pending,
       m.product_count::bigint AS product_count, m.api_count::bigint AS api_count, o.partner_code
  FROM enterprises e
 CROSS JOIN counts c
  LEFT JOIN LATERAL (
       SELECT id, name FROM partner_drafts
        WHERE enterprise_id = e.id AND created_by = $2 AND submitted_partner_id IS NULL
        ORDER BY updated_at DESC LIMIT 1
  ) dr ON true
  LEFT JOIN page p ON true
  -- LATERAL … LIMIT 1: a keyed lookup per row of the page. With plain joins the generic plan
  -- (it guesses 200 rows for the six branches) hashed the whole of partner_summaries.
  LEFT JOIN LATERAL (
       SELECT has_logo, domains, admin_name, admin_email, admin_pending, product_count, api_count
         FROM partner_summaries WHERE partner_id = p.id LIMIT 1
  ) m ON true
  LEFT JOIN LATERAL (SELECT updated_at FROM partner_logos WHERE partner_id = p.id LIMIT 1) l ON true
  LEFT JOIN LATERAL (SELECT partner_code FROM partner_organisations WHERE id = p.organisation_id LIMIT 1) o ON true
 WHERE e.id = $1
 ORDER BY p.ord
