/* The same service in C: open, append with a prepared INSERT, query the
 * newest events of one user. Usage: service_c DB_DIR */
#include <laser/laser.h>
#include <stdio.h>

int main(int argc, char** argv) {
  laser_db* db = NULL;
  laser_stmt* st = NULL;
  int i, rc;
  if (argc != 2) {
    fprintf(stderr, "usage: %s DB_DIR\n", argv[0]);
    return 2;
  }
  if (laser_open(argv[1], &db) != LASER_OK) {
    fprintf(stderr, "open: %s\n", laser_errmsg(db));
    laser_close(db);
    return 1;
  }
  if (laser_exec(db,
                 "CREATE TABLE IF NOT EXISTS clicks (user_id U64 PARTITION KEY, "
                 "ts TIMESTAMP(ms) ORDER KEY, item_id U64, dwell F32)",
                 NULL, NULL) != LASER_OK ||
      laser_prepare(db, "INSERT INTO clicks VALUES (?, ?, ?, ?)", &st) != LASER_OK) {
    fprintf(stderr, "%s\n", laser_errmsg(db));
    laser_close(db);
    return 1;
  }
  for (i = 0; i < 20; ++i) {
    laser_bind_uint64(st, 1, (uint64_t)(i % 2));
    laser_bind_int64(st, 2, 1700000000000 + i);
    laser_bind_uint64(st, 3, (uint64_t)(500 + i));
    laser_bind_double(st, 4, 0.5 * i);
    if (laser_step(st) != LASER_DONE) {
      fprintf(stderr, "insert: %s\n", laser_errmsg(db));
      return 1;
    }
    laser_reset(st);
  }
  laser_finalize(st);
  if (laser_prepare(db, "SELECT item_id, dwell, ts FROM clicks WHERE user_id = ? LAST 3", &st) !=
      LASER_OK) {
    fprintf(stderr, "%s\n", laser_errmsg(db));
    return 1;
  }
  laser_bind_uint64(st, 1, 1);
  while ((rc = laser_step(st)) == LASER_ROW) {
    printf("%s | %s | %s\n", laser_column_text(st, 0), laser_column_text(st, 1),
           laser_column_text(st, 2));
  }
  if (rc != LASER_DONE) fprintf(stderr, "query: %s\n", laser_errmsg(db));
  laser_finalize(st);
  laser_close(db);
  return rc == LASER_DONE ? 0 : 1;
}
