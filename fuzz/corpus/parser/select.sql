SELECT item_id, action, ts FROM events WHERE user_id = 42 LAST 1000;
