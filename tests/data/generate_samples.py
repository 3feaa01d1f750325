#!/usr/bin/env python3
"""Writes the small deterministic samples in tests/data in the exact layouts
of the public datasets: Taobao UserBehavior.csv (no header: user_id, item_id,
category_id, behavior_type, timestamp in seconds) and KuaiRand log_*.csv
(header). Run from anywhere; rewrites the files next to this script."""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def taobao(path, rows, seed):
    rnd = random.Random(seed)
    out = []
    for u in range(1, 21):
        ts = 1511544000 + rnd.randrange(0, 3600)
        for _ in range(rows // 20):
            ts += rnd.randrange(1, 5000)
            cat = rnd.randrange(1, 6) * 1000003
            item = cat * 10 + rnd.randrange(0, 9)
            act = rnd.choices(["pv", "buy", "cart", "fav"], [80, 5, 10, 5])[0]
            out.append(f"{u},{item},{cat},{act},{ts}")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


KUAI_HEADER = ("user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,"
               "is_forward,is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,"
               "comment_stay_time,is_profile_enter,is_rand,tab")


def kuairand(path, rows, seed):
    rnd = random.Random(seed)
    out = [KUAI_HEADER]
    for i in range(rows):
        u = rnd.randrange(0, 10)
        day = 8 + rnd.randrange(0, 3)
        hour, minute = rnd.randrange(0, 24), rnd.randrange(0, 60)
        ms = (1649347200000 + (day - 8) * 86400000 + hour * 3600000 + minute * 60000 +
              rnd.randrange(0, 60000))
        click = rnd.randrange(0, 2)
        dur = rnd.randrange(5, 120) * 1000
        play = rnd.randrange(0, dur) if click else 0
        out.append(",".join(str(x) for x in [
            u, rnd.randrange(1, 5000), f"202204{day:02d}", hour * 100, ms, click,
            rnd.randrange(0, 2) if click else 0, 0, 0, 0, 0, int(play > dur // 2), play, dur,
            0, 0, 0, rnd.randrange(0, 2), rnd.randrange(0, 15)]))
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    taobao(os.path.join(HERE, "UserBehavior_sample.csv"), 200, 1)
    kuairand(os.path.join(HERE, "kuairand_log_sample.csv"), 100, 2)
    # Bad rows for the atomicity tests: the last row is bad.
    with open(os.path.join(HERE, "UserBehavior_sample.csv")) as f:
        good = f.read().splitlines()
    with open(os.path.join(HERE, "UserBehavior_bad_last.csv"), "w") as f:
        f.write("\n".join(good[:50] + ["7,123,456,click,1511600000"]) + "\n")
    with open(os.path.join(HERE, "UserBehavior_bad_fields.csv"), "w") as f:
        f.write("\n".join(good[:10] + ["7,123,456,pv"]) + "\n")
    with open(os.path.join(HERE, "events_sample.jsonl"), "w") as f:
        f.write('{"user_id": 1, "ts": "2017-11-25 10:00:00", "item_id": 5, "action": "pv"}\n')
        f.write('{"user_id": 1, "ts": 1511604001000, "item_id": 6, "action": "buy", '
                '"dwell": 2.5}\n')
        f.write('{"user_id": 2, "ts": 1511604002000, "item_id": 7, "action": "cart", '
                '"category": null}\n')
