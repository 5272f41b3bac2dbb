-- Settings → Partners, one page: $1 enterprise, $2 the admin (their unfinished draft),
-- $3 show deactivated and declined partners, $4 only this status, $5 search (name or one
-- domain), $6 offset asked for, $7 page size, $8 only this group. The counts and the page come
-- from the same snapshot; an offset past the end is the last page's.
--
-- `partners::list_page_sql` makes one statement per sort, with and without a search, from this
-- file, the counts (partners_list_page_kept.sql without a search or a group;
-- partners_list_page_counted.sql, the search condition and partners_list_page_matched.sql
-- otherwise), partners_list_page_rows.sql, the search condition again, the page's ORDER BY and
-- partners_list_page_tail.sql. A static ORDER BY lets the default order (live first, newest
-- first) come from the index partners_list_order a page at a time; without a search the counts
-- are a few rows of partner_status_counts, however many partners there are. Both keep
-- PostgreSQL on its generic plan: with every variant in one statement it re-planned the
-- statement on every view (0.35 ms at 500 partners, as long as running it).
--
-- The shape is the enterprise's row with LATERAL subqueries, each a keyed lookup, and the page
-- a LIMIT inside one of them: PostgreSQL sets up every plan node on every execution, and the
-- earlier shape (CTEs, a window function numbering the page, a sort of it) spent about a third
-- of its time there (perf on the bench: ExecutorStart 9 % of all CPU under load).
SELECT e.partner_limit::bigint AS partner_limit, dr.id AS draft_id, dr.name AS draft_name,
       c.live, c.total, c.matched,
       p.id, p.name, p.status, p.created_at, m.has_logo, m.logo_updated_at, m.domains,
       m.admin_name, m.admin_email, m.admin_pending,
       m.product_count::bigint AS product_count, m.api_count::bigint AS api_count, m.partner_code,
       gr.group_options
  FROM enterprises e
 CROSS JOIN LATERAL (
