-- Settings → Partners, one page: $1 enterprise, $2 the admin (their unfinished draft),
-- $3 show deactivated and declined partners, $4 only this status, $5 search (name or one
-- domain), $6 offset asked for, $7 page size, $8 only this group. The count and the page come from the same
-- snapshot; an offset past the end is the last page's.
--
-- `partners::list_page_sql` makes one statement per sort, with and without a search, from this
-- file, the search condition, the counts (partners_list_page_kept.sql without a search;
-- partners_list_page_counted.sql, the search condition again and partners_list_page_matched.sql
-- with one), the page's ORDER BY and partners_list_page_tail.sql. A static ORDER BY lets the
-- default order (live first, newest first) come from the index partners_list_order a page at a
-- time; without a search the counts are a few rows of partner_status_counts, however many
-- partners there are. Both keep PostgreSQL on its generic plan: with
-- every variant in one statement it re-planned the statement on every view (0.35 ms at 500
-- partners, as long as running it).
WITH visible AS NOT MATERIALIZED (
     SELECT p.id, p.name, p.status, p.created_at
       FROM partners p
      WHERE p.enterprise_id = $1
        AND ($3 OR $4::text IS NOT NULL OR p.status IN ('requested', 'invited', 'applied', 'active'))
        AND ($4::text IS NULL OR p.status = $4)
        AND ($8::bigint IS NULL OR p.group_id = $8)
