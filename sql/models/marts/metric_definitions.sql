-- The metrics of the contract (docs/metrics.md, section 4): their
-- order, how their values are written (count: plain integer; money and hours
-- and days: 2 decimals; ratio: a fraction with 4 decimals), and their
-- definitions, which every report prints as its glossary.
SELECT * FROM (VALUES
    ( 1, 'leads_created',                      'count', 'leads with created_at in month'),
    ( 2, 'mqls',                               'count', 'leads with mql_at in month'),
    ( 3, 'sqls',                               'count', 'leads with sql_at in month'),
    ( 4, 'lead_to_mql_rate',                   'ratio', 'of the leads created in month, the share that have any mql_at (cohort view, as of the build)'),
    ( 5, 'mql_to_sql_rate',                    'ratio', 'of the MQLs of the month, the share that have any sql_at (cohort view, as of the build)'),
    ( 6, 'opportunities_created',              'count', 'opportunities with created_at in month'),
    ( 7, 'pipeline_created',                   'money', 'sum of amount of those opportunities'),
    ( 8, 'marketing_sourced_opportunities',    'count', 'opportunities created in month that some lead converted into and whose lead has mql_at <= opportunity.created_at'),
    ( 9, 'marketing_sourced_pipeline',         'money', 'sum of amount of those'),
    (10, 'marketing_influenced_opportunities', 'count', 'opportunities created in month where the lead converted into it, or a person of its account, had a marketing touch (a campaign response or a marketing-automation activity of a configured type) in the 90 days (configurable) before its created_at'),
    (11, 'marketing_influenced_pipeline',      'money', 'sum of amount of those'),
    (12, 'closed_won',                         'count', 'opportunities with is_won and close_date in month'),
    (13, 'bookings',                           'money', 'sum of amount of those'),
    (14, 'closed_lost',                        'count', 'opportunities with is_closed, not is_won, and close_date in month'),
    (15, 'win_rate',                           'ratio', 'closed_won / (closed_won + closed_lost) (counted, not weighted by amount)'),
    (16, 'avg_deal_size',                      'money', 'bookings / closed_won'),
    (17, 'sales_cycle_days',                   'days',  'mean, over the month''s closed-won opportunities, of days from the local date of created_at to close_date'),
    (18, 'new_customers',                      'count', 'accounts whose first closed-won opportunity (by close_date) is in month; a won opportunity with no account counts for none'),
    (19, 'sla_met',                            'count', 'MQLs of the month whose first touch came within the follow-up window (default 24 hours, configurable) after mql_at'),
    (20, 'sla_breached',                       'count', 'MQLs of the month whose first touch came later than the window, or that have no touch and whose window ended before as of'),
    (21, 'sla_pending',                        'count', 'MQLs of the month with no touch yet whose window has not ended at as of'),
    (22, 'sla_compliance',                     'ratio', 'sla_met / (sla_met + sla_breached)'),
    (23, 'first_touch_hours_median',           'hours', 'median hours from mql_at to first touch, over the month''s MQLs that have one'),
    (24, 'mqls_untouched_30d',                 'count', 'MQLs of the month with no touch within 30 days of mql_at, counting only MQLs whose 30 days ended before as of'),
    (25, 'marketing_spend',                    'money', 'sum of the month''s rows in the spend plan (empty when the plan has no row for the month)'),
    (26, 'cost_per_lead',                      'money', 'marketing_spend / leads_created'),
    (27, 'cost_per_mql',                       'money', 'marketing_spend / mqls'),
    (28, 'cac',                                'money', 'marketing_spend / new_customers (marketing-only, blended over all channels)'),
    (29, 'pipeline_roi',                       'ratio', 'marketing_sourced_pipeline / marketing_spend')
) AS t(position, metric, kind, definition)
