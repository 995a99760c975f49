-- Every month from the first with any lead or opportunity (and at least the
-- 24 before the as-of month, so that a pack for any of the last twelve months
-- has its 13 months) to the as-of month, in the reporting zone: a month with
-- nothing in it still has its row, with counts of 0.
WITH p AS (
    SELECT CAST(date_trunc('month', timezone(reporting_tz, as_of)) AS DATE) AS as_of_month FROM intermediate.params
), firsts AS (
    SELECT least(
        (SELECT as_of_month FROM p) - INTERVAL 24 MONTH,
        (SELECT min(strptime(created_month, '%Y-%m')) FROM intermediate.int_leads),
        (SELECT min(strptime(created_month, '%Y-%m')) FROM intermediate.int_opportunities)
    ) AS first_month
)
SELECT strftime(m, '%Y-%m') AS month
FROM firsts, p, generate_series(CAST(firsts.first_month AS TIMESTAMP), CAST(p.as_of_month AS TIMESTAMP), INTERVAL 1 MONTH) AS t(m)
