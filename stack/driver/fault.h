/*
 * Fault injection at the driver edge: a network that misbehaves on purpose, without netem.
 *
 * One injector per direction. Every frame is offered with ts_fault_push(); the frames to pass on
 * are then taken with ts_fault_pop() — none (lost), one, or two (duplicated), now or later
 * (delayed, rate limited, reordered). ts_fault_poll_at() says when a held frame becomes due.
 *
 * What happens to a frame, in this order:
 *   loss     dropped with probability P
 *   corrupt  with probability P one byte past the Ethernet header is XORed with a non-zero value
 *   dup      with probability P a second copy follows
 *   rate     a token bucket of R bits/s (burst: 10 ms worth, at least one frame); frames that must
 *            wait more than 500 ms are dropped as overflow, like a full router queue
 *   delay    held for D µs plus a uniform jitter in [0, J] (jitter can reorder, as on a real path)
 *   reorder  with probability P the frame is held back and released right after the next frame
 *            (or after 10 ms if no frame follows)
 *
 * Deterministic: the decisions depend only on the seed and on the sequence of frames offered
 * (a fixed number of random draws is taken per frame, whatever is enabled).
 * Counters (include/tapstack/counters/fault.def) are incremented in the ts_stats given.
 */
#ifndef TS_DRIVER_FAULT_H
#define TS_DRIVER_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tapstack/stack.h"
#include "tapstack/stats.h"

enum ts_fault_dir { TS_FAULT_IN = 0, TS_FAULT_OUT = 1 };

struct ts_fault_cfg {
    double loss, dup, reorder, corrupt;   /* probabilities, 0..1 */
    ts_time_t delay, jitter;              /* microseconds */
    uint64_t rate;                        /* bits per second, 0 = unlimited */
};

/* What ts_fault_push did to a frame (bit mask), for the trace. */
enum {
    TS_FAULT_LOST      = 1u << 0,
    TS_FAULT_DUP       = 1u << 1,
    TS_FAULT_CORRUPT   = 1u << 2,
    TS_FAULT_DELAYED   = 1u << 3,
    TS_FAULT_REORDERED = 1u << 4,
    TS_FAULT_RATE      = 1u << 5,
    TS_FAULT_OVERFLOW  = 1u << 6,
};

#define TS_FAULT_QMAX 8192u              /* frames held at most */
#define TS_FAULT_REORDER_HOLD TS_MS(10)
#define TS_FAULT_RATE_QUEUE TS_MS(500)

struct ts_fault;

/* Is any fault configured in cfg? */
bool ts_fault_cfg_active(const struct ts_fault_cfg *cfg);

/* Check cfg's ranges; NULL if fine, else a message naming the bad value. */
const char *ts_fault_cfg_check(const struct ts_fault_cfg *cfg);

/* Make an injector for direction dir, seeded with seed (the two directions of one run may share
 * a seed: the direction is mixed in). stats may be NULL (then nothing is counted). NULL on
 * error (bad cfg or no memory). */
struct ts_fault *ts_fault_new(const struct ts_fault_cfg *cfg, enum ts_fault_dir dir, uint64_t seed,
                              struct ts_stats *stats);

/* Free the injector and every frame it holds. Safe on NULL. */
void ts_fault_free(struct ts_fault *f);

/* Offer one frame (copied) at time now. Returns the TS_FAULT_* bits of what was done to it
 * (0: passed untouched, ready to pop at once). */
unsigned ts_fault_push(struct ts_fault *f, ts_time_t now, const uint8_t *frame, size_t len);

/* Take the next frame due at now into buf (cap bytes; a longer frame is cut) and return its
 * length; 0 when no frame is due. */
size_t ts_fault_pop(struct ts_fault *f, ts_time_t now, uint8_t *buf, size_t cap);

/* When the next held frame is due, or TS_TIME_NEVER when none is held. */
ts_time_t ts_fault_poll_at(const struct ts_fault *f);

/* What one injector did so far (the same numbers it adds to the stack's fault counters). */
struct ts_fault_counts {
    uint64_t loss, dup, reorder, corrupt, delayed, rate_limited, overflow;
};
const struct ts_fault_counts *ts_fault_counts(const struct ts_fault *f);

/* Frames held now (queued or set aside for reordering). */
unsigned ts_fault_held(const struct ts_fault *f);

/* Parse the command-line forms: a probability "0.1" (0..1, also "10%"), a delay "MS[+JITTER]"
 * in milliseconds (fractions allowed), a rate "BITS/S" with an optional k, M or G suffix.
 * Return false on bad text. */
bool ts_fault_parse_prob(const char *text, double *p);
bool ts_fault_parse_delay(const char *text, ts_time_t *delay, ts_time_t *jitter);
bool ts_fault_parse_rate(const char *text, uint64_t *bps);

/* The names of the fault bits in what (TS_FAULT_*), comma-separated ("loss", "corrupt,dup"),
 * into buf (cap bytes, cut if short); returns buf. For the trace. */
const char *ts_fault_names(unsigned what, char *buf, size_t cap);

#endif
