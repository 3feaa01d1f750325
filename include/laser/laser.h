/* Laser's C API: open a database, run statements of the dialect
 * (docs/dialect.md), read results row by row. For services and bindings in
 * other languages. Link with -llaser (pkg-config laser).
 *
 * Conventions: functions returning int return LASER_OK (0) on success and
 * LASER_ERROR on failure; the message of the last failure on a connection is
 * laser_errmsg(db) (statement failures are recorded on their connection).
 * A connection and its statements are used by one thread at a time, except
 * laser_interrupt(), which any thread may call. Strings are UTF-8. */
#ifndef LASER_LASER_H_
#define LASER_LASER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct laser_db laser_db;     /* a connection to one database directory */
typedef struct laser_stmt laser_stmt; /* a prepared statement */

#define LASER_OK 0
#define LASER_ERROR 1
#define LASER_ROW 100  /* laser_step: a row is ready */
#define LASER_DONE 101 /* laser_step: no more rows */

/* laser_open_v2 flags */
#define LASER_OPEN_CREATE 1   /* create the directory if missing */
#define LASER_OPEN_READONLY 2 /* no writes; others may read too */

/* Column types (laser_column_type). ENUM columns are TEXT (their labels). */
#define LASER_TYPE_INT64 1     /* BOOL, I8..I64 */
#define LASER_TYPE_UINT64 2    /* U8..U64 */
#define LASER_TYPE_DOUBLE 3    /* F32, F64 */
#define LASER_TYPE_TEXT 4      /* STRING, ENUM */
#define LASER_TYPE_TIMESTAMP 5 /* int64 count of the column's unit since the epoch */
#define LASER_TYPE_BOOL 6      /* int64 0 or 1 */

/* Opens (creating if missing) the database in directory `dir`. On success
 * *out is a new connection; on failure *out is a connection that only
 * carries the error (read it with laser_errmsg, then laser_close it), or NULL
 * if memory ran out. */
int laser_open(const char* dir, laser_db** out);
int laser_open_v2(const char* dir, int flags, laser_db** out);
/* Closes the connection. REQUIRES every statement of it finalized. NULL is a no-op. */
int laser_close(laser_db* db);
/* The last error on the connection ("" if none); valid until the next call on it. */
const char* laser_errmsg(laser_db* db);
/* Makes the statement running on `db` fail at its next chunk boundary. */
void laser_interrupt(laser_db* db);

/* Runs every statement of `sql`. For each result row of each statement,
 * calls callback(arg, column count, values as text (NULL for SQL NULL),
 * column names); a non-zero return stops with LASER_ERROR. callback may be NULL. */
int laser_exec(laser_db* db, const char* sql,
               int (*callback)(void* arg, int ncols, const char* const* values,
                               const char* const* names),
               void* arg);

/* Parses exactly one statement with `?` placeholders into *out. */
int laser_prepare(laser_db* db, const char* sql, laser_stmt** out);
/* Number of ? placeholders. */
int laser_bind_parameter_count(laser_stmt* stmt);
/* Binds placeholder `index` (1-based). REQUIRES the statement not stepping
 * (call laser_reset first to rebind after a step). */
int laser_bind_int64(laser_stmt* stmt, int index, int64_t value);
int laser_bind_uint64(laser_stmt* stmt, int index, uint64_t value);
int laser_bind_double(laser_stmt* stmt, int index, double value);
/* `len` < 0: text is NUL-terminated. The text is copied. */
int laser_bind_text(laser_stmt* stmt, int index, const char* text, int len);
int laser_bind_null(laser_stmt* stmt, int index);
int laser_clear_bindings(laser_stmt* stmt);

/* Runs the statement on the first call, then advances one row per call.
 * Returns LASER_ROW (a row is readable with laser_column_*), LASER_DONE, or
 * LASER_ERROR (see laser_errmsg of the connection). */
int laser_step(laser_stmt* stmt);
/* Ends the current run so the statement can be stepped again (with new bindings). */
int laser_reset(laser_stmt* stmt);
/* Rows written by the last run of an INSERT or COPY. */
int64_t laser_changes(laser_stmt* stmt);

/* Result columns: valid after the first laser_step. Indices are 0-based. */
int laser_column_count(laser_stmt* stmt);
const char* laser_column_name(laser_stmt* stmt, int col);
int laser_column_type(laser_stmt* stmt, int col);
/* Of the current row (after laser_step returned LASER_ROW). Out-of-range
 * columns read as NULL / 0. Numbers convert between the numeric getters. */
int laser_column_is_null(laser_stmt* stmt, int col);
int64_t laser_column_int64(laser_stmt* stmt, int col);
uint64_t laser_column_uint64(laser_stmt* stmt, int col);
double laser_column_double(laser_stmt* stmt, int col);
/* The value as text (timestamps formatted, NULL -> NULL pointer); valid
 * until the next laser_step/laser_reset/laser_finalize. */
const char* laser_column_text(laser_stmt* stmt, int col);

/* Frees the statement. NULL is a no-op. */
int laser_finalize(laser_stmt* stmt);

#ifdef __cplusplus
}
#endif

#endif /* LASER_LASER_H_ */
