SELECT action, count(*), count(DISTINCT item_id) FROM events WHERE user_id IN (1, 2, 3) AND ts >= TIMESTAMP '2017-11-25' GROUP BY action HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 5
