-- Each account's first closed-won opportunity: the month of its close date
-- (new_customers counts accounts by it) and its channel (kpis_by_channel
-- counts them there). An opportunity of several accounts (a HubSpot deal
-- of two companies) is a first win for each.
SELECT a.account_key,
       strftime(min(o.close_date), '%Y-%m')  AS month,
       arg_min(o.channel, o.close_date)      AS channel
FROM intermediate.int_opportunities o, unnest(o.account_keys) AS a(account_key)
WHERE o.is_won
GROUP BY a.account_key
