/* The io_uring driver loop (see loop.h). */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>
#include <sys/uio.h>

#include "driver/clock.h"
#include "driver/loop.h"
#include "driver/obs.h"
#include "driver/rx_spin.h"
#include "driver/signals.h"
#include "driver/vnet.h"

/* What a completion is about: the kind in the top 32 bits of user_data, a buffer index below. */
enum { OP_RX = 1, OP_TX = 2, OP_SIGNAL = 3, OP_WATCH = 4, OP_RX_MULTI = 5, OP_CANCEL = 6 };

/* IORING_OP_READ_MULTISHOT (Linux 6.7): one SQE that keeps reading into provided buffers, a
 * completion per frame. liburing 2.3's headers predate it; the kernel's number is fixed ABI. */
#define TS_OP_READ_MULTISHOT 49
#define RX_BGID 7                   /* our provided-buffer group */
#define UD(kind, idx) (((uint64_t)(kind) << 32) | (uint32_t)(idx))
#define UD_KIND(ud) ((unsigned)((ud) >> 32))
#define UD_IDX(ud) ((unsigned)((ud) & 0xffffffffu))

/* Receive buffers by default. One wakeup takes at most as many frames as the kernel holds
 * buffers of ours: the multishot read copies every frame the TAP holds into free buffers before
 * we see the first, and only then do we ACK them. With 64 KB super-segments (vnet) 32 buffers
 * were 2 MB per wakeup: the kernel's sender, cwnd-limited (ss: unacked = cwnd, 1,000-2,300
 * segments), waited for ACKs behind up to 32 copies, its cwnd grew with the aggregated ACKs, and
 * the bytes in flight between its copy and ours outgrew the L2 cache (2 MB a core here): its CPU
 * per GB sent rose by a third. So the kernel is given only as many buffers as RX_BATCH_BYTES of
 * the frames lately read fill (rx_give): four (256 KB, what the kernel's discard reference reads
 * at a time) while super-segments arrive, all 32 while requests of a few hundred bytes do. Four
 * for every kind of frame cost request/response loads a wakeup per four requests: tapstack was
 * preempted 17 times per 100 `wrk` requests instead of 3-5, and used 15-25 % more CPU per
 * request (issue 19). Plain frames are 1.5 KB: 32 of them are 50 KB. */
#define RX_DEPTH_VNET 32
#define RX_DEPTH_PLAIN 32
#define RX_BATCH_BYTES (256u * 1024)
#define RX_GIVEN_MIN 4u

/* Consecutive failed reads after which the TAP is considered gone. */
#define RX_ERRORS_FATAL 64

struct ts_loop {
    struct io_uring ring;
    bool ring_ok;
    int tap_fd, sig_fd;
    bool tap_fixed;             /* the TAP fd is registered with the ring as fixed file 0 */
    bool vnet;                  /* each buffer starts with a virtio-net header, then the frame */
    bool tx_zc;                 /* writes go straight from the stack's frames (no capture or faults) */
    const struct ts_tx **tx_held;   /* zero-copy: the frame each write slot carries until it completes */
    struct iovec (*tx_iov)[3];  /* zero-copy with vnet: header, frame, payload held by reference */
    uint8_t (*tx_hdr)[16];
    size_t frame_cap;
    unsigned rx_depth, tx_depth;
    uint8_t *rx_mem, *tx_mem;
    struct io_uring_buf_ring *br;  /* receive buffers given to the kernel (multishot mode), or NULL */
    bool br_registered;
    unsigned br_mask, br_pending;   /* buffers returned since the last advance */
    unsigned rx_given;          /* multishot: buffers the kernel holds now */
    unsigned *rx_held, rx_nheld;    /* multishot: free buffers not given yet (rx_give) */
    uint32_t rx_avg;            /* multishot: bytes per frame lately (a moving average), 0: none yet */
    unsigned *tx_free;          /* stack of free write-buffer indices */
    unsigned tx_nfree;
    bool tx_blocked;            /* the last drain stopped for want of a free write slot */
    unsigned rx_err_run;        /* consecutive failed reads */
    unsigned inflight;          /* SQEs handed out whose last completion has not been seen */
    int stop;                   /* signal number, or -errno when fatal */
    bool stop_asked;            /* ts_loop_stop was called: return stop_code */
    int stop_code;
    struct ts_loop_watch watch[TS_LOOP_WATCH_MAX];
    unsigned nwatch;
    struct ts_obs *obs;         /* capture/trace/faults, or NULL */
    struct ts_loop_stats st;
    struct ts_rx_spin spin;     /* whether to wait awake for the next frame (busy polling) */
    void (*before_wait)(void *arg);   /* see ts_loop_cfg */
    void *before_wait_arg;
    ts_time_t core_now;         /* the last time given to the stack (timers run at their deadlines) */
};

static uint8_t *rx_buf(struct ts_loop *l, unsigned i) { return l->rx_mem + (size_t)i * l->frame_cap; }
static uint8_t *tx_buf(struct ts_loop *l, unsigned i) { return l->tx_mem + (size_t)i * l->frame_cap; }

/* An SQE, submitting what is queued first if the SQ is full (it is sized so that it is not). */
static struct io_uring_sqe *loop_sqe(struct ts_loop *l)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
    if (!sqe) {
        io_uring_submit(&l->ring);
        sqe = io_uring_get_sqe(&l->ring);
    }
    if (sqe) l->inflight++;
    return sqe;
}

/* Account for a completion: a request is over with its last one (no IORING_CQE_F_MORE). */
static void cqe_seen(struct ts_loop *l, const struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_MORE) && l->inflight > 0) l->inflight--;
}

static void queue_read(struct ts_loop *l, unsigned i)
{
    struct io_uring_sqe *sqe = loop_sqe(l);
    if (!sqe) return;
    io_uring_prep_read(sqe, l->tap_fixed ? 0 : l->tap_fd, rx_buf(l, i), (unsigned)l->frame_cap, 0);
    if (l->tap_fixed) sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, UD(OP_RX, i));
}

/* One multishot read: a completion per frame, each in a buffer the kernel takes from br. */
static void queue_read_multi(struct ts_loop *l)
{
    struct io_uring_sqe *sqe = loop_sqe(l);
    if (!sqe) return;
    io_uring_prep_rw(TS_OP_READ_MULTISHOT, sqe, l->tap_fixed ? 0 : l->tap_fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT | (l->tap_fixed ? IOSQE_FIXED_FILE : 0);
    sqe->buf_group = RX_BGID;
    io_uring_sqe_set_data64(sqe, UD(OP_RX_MULTI, 0));
}

/* Buffer i is free again: held until rx_give hands it to the kernel. */
static void rx_buf_return(struct ts_loop *l, unsigned i) { l->rx_held[l->rx_nheld++] = i; }

/* Give the kernel free buffers until it holds as many as RX_BATCH_BYTES of the frames lately
 * read fill (RX_GIVEN_MIN at least, all of them before the first frame): made visible by the
 * advance at the end of a batch. */
static void rx_give(struct ts_loop *l)
{
    unsigned want = l->rx_avg ? RX_BATCH_BYTES / l->rx_avg : l->rx_depth;
    if (want < RX_GIVEN_MIN) want = RX_GIVEN_MIN;
    while (l->rx_given < want && l->rx_nheld) {
        unsigned i = l->rx_held[--l->rx_nheld];
        io_uring_buf_ring_add(l->br, rx_buf(l, i), (unsigned)l->frame_cap, (unsigned short)i, (int)l->br_mask,
                              (int)l->br_pending++);
        l->rx_given++;
    }
}

/* Multishot receive if the kernel has it: provided-buffer ring of rx_depth buffers. */
static bool rx_multishot_setup(struct ts_loop *l)
{
    struct io_uring_probe *probe = io_uring_get_probe_ring(&l->ring);
    bool ok = probe && io_uring_opcode_supported(probe, TS_OP_READ_MULTISHOT);
    if (probe) io_uring_free_probe(probe);
    if (!ok) return false;
    size_t bytes = l->rx_depth * sizeof(struct io_uring_buf);
    void *mem = NULL;
    if (posix_memalign(&mem, 4096, bytes < 4096 ? 4096 : bytes) != 0) return false;
    memset(mem, 0, bytes < 4096 ? 4096 : bytes);
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (uintptr_t)mem;
    reg.ring_entries = l->rx_depth;
    reg.bgid = RX_BGID;
    if (io_uring_register_buf_ring(&l->ring, &reg, 0) != 0) {
        free(mem);
        return false;
    }
    l->br = mem;
    l->br_registered = true;
    l->br_mask = (unsigned)io_uring_buf_ring_mask(l->rx_depth);
    io_uring_buf_ring_init(l->br);
    for (unsigned i = 0; i < l->rx_depth; i++) rx_buf_return(l, i);
    rx_give(l);
    io_uring_buf_ring_advance(l->br, (int)l->br_pending);
    l->br_pending = 0;
    return true;
}

static void queue_signal_poll(struct ts_loop *l)
{
    struct io_uring_sqe *sqe = loop_sqe(l);
    if (!sqe) return;
    io_uring_prep_poll_add(sqe, l->sig_fd, POLLIN);
    io_uring_sqe_set_data64(sqe, UD(OP_SIGNAL, 0));
}

static void queue_watch(struct ts_loop *l, unsigned i)
{
    struct io_uring_sqe *sqe = loop_sqe(l);
    if (!sqe) return;
    io_uring_prep_poll_add(sqe, l->watch[i].fd, POLLIN);
    io_uring_sqe_set_data64(sqe, UD(OP_WATCH, i));
}

int ts_loop_watch(struct ts_loop *l, const struct ts_loop_watch *w)
{
    if (l->nwatch >= TS_LOOP_WATCH_MAX) return -1;
    l->watch[l->nwatch] = *w;
    queue_watch(l, l->nwatch++);
    return 0;
}

static int ring_init(struct ts_loop *l, unsigned entries)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    /* One thread submits and reaps: let the kernel skip cross-thread work (Linux 6.1+). */
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    int r = io_uring_queue_init_params(entries, &l->ring, &p);
    if (r == -EINVAL) {   /* the flag that says work is pending (rx_spin) came with Linux 6.1 too */
        memset(&p, 0, sizeof p);
        p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
        r = io_uring_queue_init_params(entries, &l->ring, &p);
    }
    if (r == -EINVAL) {
        memset(&p, 0, sizeof p);
        r = io_uring_queue_init_params(entries, &l->ring, &p);
    }
    return r;
}

struct ts_loop *ts_loop_new(const struct ts_loop_cfg *cfg, char *err, size_t errlen)
{
    struct ts_loop *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->tap_fd = cfg->tap_fd;
    l->sig_fd = cfg->sig_fd;
    l->obs = cfg->obs;
    l->vnet = cfg->vnet;
    l->before_wait = cfg->before_wait;
    l->before_wait_arg = cfg->before_wait_arg;
    l->frame_cap = (cfg->frame_cap + (cfg->vnet ? TS_VNET_HLEN : 0) + 63) & ~(size_t)63;
    l->rx_depth = 1;   /* a power of two (the buffer ring needs it), at most 32768 */
    unsigned want = cfg->rx_depth ? cfg->rx_depth : cfg->vnet ? RX_DEPTH_VNET : RX_DEPTH_PLAIN;
    while (l->rx_depth < want && l->rx_depth < 32768) l->rx_depth <<= 1;
    l->st.rx_buffers = l->rx_depth;
    l->tx_depth = cfg->tx_depth ? cfg->tx_depth : 256;
    l->tx_zc = ts_obs_tx_inplace(cfg->obs);
    l->rx_mem = calloc(l->rx_depth, l->frame_cap);
    l->rx_held = calloc(l->rx_depth, sizeof *l->rx_held);
    if (l->tx_zc) {
        l->tx_held = calloc(l->tx_depth, sizeof *l->tx_held);
        l->tx_iov = calloc(l->tx_depth, sizeof *l->tx_iov);
        l->tx_hdr = calloc(l->tx_depth, sizeof *l->tx_hdr);
    } else {
        l->tx_mem = calloc(l->tx_depth, l->frame_cap);
    }
    l->tx_free = calloc(l->tx_depth, sizeof *l->tx_free);
    if (!l->rx_mem || !l->rx_held || !(l->tx_zc ? l->tx_held && l->tx_iov && l->tx_hdr : l->tx_mem != NULL) || !l->tx_free) {
        snprintf(err, errlen, "out of memory for %u+%u frame buffers", l->rx_depth, l->tx_depth);
        ts_loop_free(l);
        return NULL;
    }
    for (unsigned i = 0; i < l->tx_depth; i++) l->tx_free[i] = l->tx_depth - 1 - i;
    l->tx_nfree = l->tx_depth;
    int r = ring_init(l, l->rx_depth + l->tx_depth + 2 + TS_LOOP_WATCH_MAX);
    if (r < 0) {
        snprintf(err, errlen, "io_uring setup failed: %s%s", strerror(-r),
                 r == -ENOMEM ? " (raise the locked-memory limit: ulimit -l)" :
                 r == -ENOSYS || r == -EPERM ? " (io_uring disabled? see sysctl kernel.io_uring_disabled)" : "");
        ts_loop_free(l);
        return NULL;
    }
    l->ring_ok = true;
    /* Watching needs the ring to say when work is pending (IORING_SETUP_TASKRUN_FLAG). */
    unsigned bp = cfg->busy_poll_us < TS_LOOP_BUSY_POLL_MAX_US ? cfg->busy_poll_us : TS_LOOP_BUSY_POLL_MAX_US;
    bool watch = l->ring.flags & IORING_SETUP_TASKRUN_FLAG;
    ts_rx_spin_init(&l->spin, watch ? TS_RX_SPIN_BULK_US : 0, watch ? bp : 0);
    /* A fixed file saves looking the fd up on every read and write; optional. */
    l->tap_fixed = io_uring_register_files(&l->ring, &l->tap_fd, 1) == 0;
    if (!cfg->rx_plain && rx_multishot_setup(l)) {
        l->st.rx_multishot = true;
        queue_read_multi(l);
    } else {
        for (unsigned i = 0; i < l->rx_depth; i++) queue_read(l, i);
    }
    if (l->sig_fd >= 0) queue_signal_poll(l);
    return l;
}

/* The earliest deadline of the stack and the apps. */
static ts_time_t next_deadline(struct ts_loop *l, struct ts_stack *s, struct ts_app *apps, unsigned napps)
{
    ts_time_t d = ts_stack_poll_at(s);
    ts_time_t o = ts_obs_poll_at(l->obs);
    if (o < d) d = o;
    for (unsigned i = 0; i < napps; i++) {
        if (!apps[i].poll_at) continue;
        ts_time_t a = apps[i].poll_at(apps[i].ctx);
        if (a < d) d = a;
    }
    return d;
}

/* Timer runs per call of run_due, against a deadline that never moves (then the rest run at now). */
#define RUN_DUE_MAX_STEPS 4096u

/* Run the timers that are due by now (the stack's, the fault queues', each app's), each at its own
 * deadline in deadline order, or at the core's last time if that is later (a timer armed for "now"
 * while a batch was received): exactly as `tapstack replay` runs them, so that a capture, which
 * has the frames' times only, says when each timer ran. Then deliver events. known: the earliest
 * deadline as next_deadline gave it with nothing run since (the one the wait was bounded by), or
 * NULL: asking every app again is not free (issue 19: a third look per wakeup, when each server's
 * guard scanned its classes, was 1,700 of a 1-byte echo round trip's 12,400 instructions). */
static void run_due(struct ts_loop *l, struct ts_stack *s, struct ts_app *apps, unsigned napps, ts_time_t now,
                    const ts_time_t *known)
{
    bool ran = false;
    for (unsigned step = 0; step < RUN_DUE_MAX_STEPS; step++) {
        ts_time_t d = step == 0 && known ? *known : next_deadline(l, s, apps, napps);
        if (d > now) break;
        ts_time_t t = d > l->core_now ? d : l->core_now;
        if (step == RUN_DUE_MAX_STEPS - 1) t = now > l->core_now ? now : l->core_now;
        l->core_now = t;
        if (ts_obs_poll_at(l->obs) <= t && ts_obs_poll(l->obs, s, t)) ran = true;
        if (ts_stack_poll_at(s) <= t) {
            ts_stack_poll(s, t);
            ran = true;
        }
        for (unsigned i = 0; i < napps; i++) {
            if (!apps[i].poll || !apps[i].poll_at || apps[i].poll_at(apps[i].ctx) > t) continue;
            apps[i].poll(apps[i].ctx, t);
            ran = true;
        }
        if (ran) ts_stack_dispatch(s, t);
        ran = false;
    }
    if (now > l->core_now) l->core_now = now;
}

/* Zero-copy: each frame is written from the stack's memory (with vnet, a writev of the header
 * and the frame) and given back when its write completes. */
static void drain_tx_zc(struct ts_loop *l, struct ts_stack *s, ts_time_t now)
{
    l->tx_blocked = false;
    while (l->tx_nfree > 0) {
        const uint8_t *data;
        size_t len;
        struct ts_frame_info info;
        const struct ts_tx *tx = ts_stack_tx_take(s, now, &data, &len, &info);
        if (!tx) return;
        ts_obs_tx_note(l->obs, now, data, len);   /* headers alone when gathered: the plot takes that */
        const uint8_t *ext;
        size_t ext_len;
        ts_stack_tx_ext(tx, &ext, &ext_len);
        struct io_uring_sqe *sqe = loop_sqe(l);
        if (!sqe) {   /* cannot happen: the SQ has room for every slot; TCP would resend it */
            ts_stack_tx_done(s, tx);
            l->st.tx_errors++;
            return;
        }
        unsigned i = l->tx_free[--l->tx_nfree];
        l->tx_held[i] = tx;
        if (l->vnet) {
            ts_vnet_from_info(l->tx_hdr[i], &info, data, len);
            if (info.flags & TS_FRAME_GSO_TCP) l->st.tx_gso++;
            l->tx_iov[i][0] = (struct iovec){ .iov_base = l->tx_hdr[i], .iov_len = TS_VNET_HLEN };
            l->tx_iov[i][1] = (struct iovec){ .iov_base = (void *)(uintptr_t)data, .iov_len = len };
            l->tx_iov[i][2] = (struct iovec){ .iov_base = (void *)(uintptr_t)ext, .iov_len = ext_len };
            io_uring_prep_writev(sqe, l->tap_fixed ? 0 : l->tap_fd, l->tx_iov[i], ext_len ? 3 : 2, 0);
            len += TS_VNET_HLEN + ext_len;
        } else if (ext_len) {         /* a plain frame whose payload stays in the send buffer */
            l->tx_iov[i][0] = (struct iovec){ .iov_base = (void *)(uintptr_t)data, .iov_len = len };
            l->tx_iov[i][1] = (struct iovec){ .iov_base = (void *)(uintptr_t)ext, .iov_len = ext_len };
            io_uring_prep_writev(sqe, l->tap_fixed ? 0 : l->tap_fd, l->tx_iov[i], 2, 0);
            len += ext_len;
        } else {
            io_uring_prep_write(sqe, l->tap_fixed ? 0 : l->tap_fd, data, (unsigned)len, 0);
        }
        if (l->tap_fixed) sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(sqe, UD(OP_TX, i));
        l->st.tx_frames++;
        l->st.tx_bytes += len;
    }
    l->st.tx_full++;
    l->tx_blocked = true;
}

/* Move queued frames from the stack into write SQEs while write buffers are free. */
static void drain_tx(struct ts_loop *l, struct ts_stack *s, ts_time_t now)
{
    if (l->tx_zc) {
        drain_tx_zc(l, s, now);
        return;
    }
    l->tx_blocked = false;
    while (l->tx_nfree > 0) {
        unsigned i = l->tx_free[l->tx_nfree - 1];
        size_t len;
        if (l->vnet) {
            struct ts_frame_info info;
            uint8_t *b = tx_buf(l, i);
            len = ts_obs_transmit_info(l->obs, s, now, b + TS_VNET_HLEN, l->frame_cap - TS_VNET_HLEN, &info);
            if (len == 0) return;
            ts_vnet_from_info(b, &info, b + TS_VNET_HLEN, len);
            if (info.flags & TS_FRAME_GSO_TCP) l->st.tx_gso++;
            len += TS_VNET_HLEN;
        } else {
            len = ts_obs_transmit(l->obs, s, now, tx_buf(l, i), l->frame_cap);
            if (len == 0) return;
        }
        struct io_uring_sqe *sqe = loop_sqe(l);
        if (!sqe) return;   /* cannot happen: the SQ has room for every buffer */
        l->tx_nfree--;
        io_uring_prep_write(sqe, l->tap_fixed ? 0 : l->tap_fd, tx_buf(l, i), (unsigned)len, 0);
        if (l->tap_fixed) sqe->flags |= IOSQE_FIXED_FILE;
        io_uring_sqe_set_data64(sqe, UD(OP_TX, i));
        l->st.tx_frames++;
        l->st.tx_bytes += len;
    }
    l->st.tx_full++;
    l->tx_blocked = true;
}

/* A read completed with res (bytes or -errno) into buffer i. Returns false when the TAP is gone. */
static bool rx_result(struct ts_loop *l, struct ts_stack *s, unsigned i, int res, ts_time_t now)
{
    if (res > 0) {
        l->rx_err_run = 0;
        l->st.rx_frames++;
        l->st.rx_bytes += (unsigned)res;
        if (!l->vnet) {
            ts_obs_receive(l->obs, s, now, rx_buf(l, i), (size_t)res);
        } else {
            const uint8_t *b = rx_buf(l, i);
            struct ts_frame_info info;
            size_t len = (size_t)res > TS_VNET_HLEN ? (size_t)res - TS_VNET_HLEN : 0;
            if (len == 0 || ts_vnet_to_info(b, b + TS_VNET_HLEN, len, &info) < 0) {
                l->st.rx_bad_vnet++;
                return true;
            }
            if (info.flags & TS_FRAME_GSO_TCP) l->st.rx_gso++;
            ts_obs_receive_info(l->obs, s, now, b + TS_VNET_HLEN, len, &info);
        }
        ts_stack_dispatch(s, now);
    } else if (res < 0 && res != -EAGAIN && res != -EINTR) {
        l->st.rx_errors++;
        if (l->rx_err_run++ == 0) fprintf(stderr, "tapstack: read from TAP failed: %s\n", strerror(-res));
        if (res == -EBADFD || l->rx_err_run >= RX_ERRORS_FATAL) {
            fprintf(stderr, "tapstack: the TAP is gone (%s); stopping\n", strerror(-res));
            l->stop = res;
            return false;
        }
    }
    return true;
}

static void on_rx(struct ts_loop *l, struct ts_stack *s, unsigned i, int res, ts_time_t now)
{
    if (rx_result(l, s, i, res, now)) queue_read(l, i);
}

/* A completion of the multishot read: a frame in a provided buffer, or the end of the read. */
static void on_rx_multi(struct ts_loop *l, struct ts_stack *s, const struct io_uring_cqe *cqe, ts_time_t now)
{
    bool alive = true;
    if (cqe->flags & IORING_CQE_F_BUFFER) {
        unsigned i = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        if (i < l->rx_depth) {
            if (l->rx_given) l->rx_given--;
            if (cqe->res > 0) l->rx_avg = l->rx_avg ? (l->rx_avg * 7 + (uint32_t)cqe->res) / 8 : (uint32_t)cqe->res;
            alive = rx_result(l, s, i, cqe->res, now);
            rx_buf_return(l, i);
        }
    } else if (cqe->res == -EINVAL && l->st.rx_frames == 0) {
        /* This kernel or device cannot do it after all: fall back to plain reads. */
        fprintf(stderr, "tapstack: multishot read refused; using %u plain reads\n", l->rx_depth);
        l->st.rx_multishot = false;
        for (unsigned i = 0; i < l->rx_depth; i++) queue_read(l, i);
        return;
    } else if (cqe->res < 0 && cqe->res != -ENOBUFS) {
        alive = rx_result(l, s, 0, cqe->res, now);
    }
    if (alive && !(cqe->flags & IORING_CQE_F_MORE)) {
        l->st.rx_rearms++;
        queue_read_multi(l);
    }
}

static void on_tx(struct ts_loop *l, struct ts_stack *s, unsigned i, int res)
{
    if (l->tx_zc && l->tx_held[i]) {
        ts_stack_tx_done(s, l->tx_held[i]);
        l->tx_held[i] = NULL;
    }
    if (res < 0) {
        if (l->st.tx_errors++ == 0) fprintf(stderr, "tapstack: write to TAP failed: %s\n", strerror(-res));
    } else if (res == 0) {
        l->st.tx_short++;
    }
    l->tx_free[l->tx_nfree++] = i;
}

static void on_signal(struct ts_loop *l)
{
    int sig = ts_signals_take(l->sig_fd);
    if (sig > 0) {
        l->stop = sig;
        return;
    }
    queue_signal_poll(l);   /* spurious wakeup: watch again */
}

/* Handle every completion that is ready. Returns how many. */
static unsigned reap(struct ts_loop *l, struct ts_stack *s, ts_time_t now)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&l->ring, head, cqe) {
        cqe_seen(l, cqe);
        uint64_t ud = io_uring_cqe_get_data64(cqe);
        switch (UD_KIND(ud)) {
        case OP_RX: on_rx(l, s, UD_IDX(ud), cqe->res, now); break;
        case OP_RX_MULTI: on_rx_multi(l, s, cqe, now); break;
        case OP_TX: on_tx(l, s, UD_IDX(ud), cqe->res); break;
        case OP_SIGNAL: on_signal(l); break;
        case OP_WATCH:
            if (UD_IDX(ud) < l->nwatch) {
                l->watch[UD_IDX(ud)].ready(l->watch[UD_IDX(ud)].arg, now);
                queue_watch(l, UD_IDX(ud));
            }
            break;
        default: break;
        }
        n++;
    }
    io_uring_cq_advance(&l->ring, n);
    if (l->br && l->st.rx_multishot) rx_give(l);
    if (l->br_pending) {
        io_uring_buf_ring_advance(l->br, (int)l->br_pending);
        l->br_pending = 0;
    }
    return n;
}

/* Submit, then watch the ring until `until` for the kernel to have work for us (IORING_SQ_TASKRUN:
 * a frame to copy in) and take it without sleeping (rx_spin.h). Between looks the CPU goes to
 * whatever else is runnable here (sched_yield): with pause instead, on a loaded machine the watch
 * took CPU from the sender and others (paired rounds: 0.88 of the MB/s without it; with yield 1.10,
 * idle 1.21). Returns true if a completion is ready. */
static bool rx_watch(struct ts_loop *l, ts_time_t until)
{
    io_uring_submit(&l->ring);
    struct io_uring_cqe *cqe;
    for (;;) {
        if (IO_URING_READ_ONCE(*l->ring.sq.kflags) & IORING_SQ_TASKRUN) io_uring_get_events(&l->ring);
        if (io_uring_peek_cqe(&l->ring, &cqe) == 0 && cqe) return true;
        if (ts_clock_now() >= until) return false;
        sched_yield();
    }
}

/* How many completions to wait for: every write in flight and one more (a frame, a timer's end,
 * a signal...), unless something waits for a write to complete (a free write slot, or the frames a
 * write holds). A TAP takes a write as it is submitted, so its completion is there at once: waiting
 * for one completion, the loop went round again only to enter the kernel a second time to sleep,
 * two io_uring_enter calls per 1-byte echo round trip instead of one (issue 19). */
static unsigned wait_nr(const struct ts_loop *l, const struct ts_stack *s)
{
    if (l->tx_blocked || ts_stack_tx_starved(s)) return 1;
    return 1 + (l->tx_depth - l->tx_nfree);
}

/* Submit what is queued and wait for wait_nr completions, at most until deadline: awake first
 * while super-segments arrive, or after other frames with --busy-poll (rx_spin.h). */
static int submit_and_wait(struct ts_loop *l, struct ts_stack *s, ts_time_t now, ts_time_t deadline)
{
    if (l->before_wait) l->before_wait(l->before_wait_arg);
    ts_time_t start = ts_clock_now();   /* the wait starts: an empty watch counts in it (stays cold) */
    ts_time_t until = ts_rx_spin_until(&l->spin, now, deadline);
    if (until) {
        bool hit = rx_watch(l, until);
        ts_rx_spin_watched(&l->spin, hit);
        if (hit) {
            l->st.rx_spin_hits++;
            return 0;
        }
        l->st.rx_spin_misses++;
        now = ts_clock_now();
    }
    struct io_uring_cqe *cqe = NULL;
    struct __kernel_timespec ts;
    struct __kernel_timespec *tsp = NULL;
    if (deadline != TS_TIME_NEVER) {
        ts_time_t us = deadline > now ? deadline - now : 0;
        ts.tv_sec = (long long)(us / 1000000u);
        ts.tv_nsec = (long long)(us % 1000000u) * 1000;
        tsp = &ts;
    }
    l->st.waits++;
    int r = io_uring_submit_and_wait_timeout(&l->ring, &cqe, wait_nr(l, s), tsp, NULL);
    ts_rx_spin_slept(&l->spin, ts_clock_now() - start);
    if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY) return r;
    return 0;
}

int ts_loop_run(struct ts_loop *l, struct ts_stack *s, struct ts_app *apps, unsigned napps)
{
    /* Payload gathered from the send buffer into the writev (with or without the virtio-net
     * header), when nothing captures what is sent (a capture would see the headers alone). */
    ts_stack_set_tx_gather(s, l->tx_zc && ts_obs_tx_gather_ok(l->obs));
    /* TCP's data is built when drain_tx takes it, after each batch of frames read: with the ACKs
     * of the whole batch taken in, retransmissions go first and none is sent needlessly (issue 18) */
    ts_stack_set_tx_pull(s, true);
    l->stop = 0;
    l->stop_asked = false;
    /* What the core is given follows one pattern that a capture (frames and their times only)
     * describes, so that `tapstack replay` gives it the same: on each wakeup at `now`, the timers
     * due by now run at their deadlines; the frames read in this batch are received, all at now;
     * then the timers that became due meanwhile run at now, and what the stack sends is taken at
     * now. The batch matters (ACK merging withdraws queued pure ACKs; one drain after several
     * ACKs makes larger segments): the replay takes frames with the same time as one batch. */
    ts_time_t now = ts_clock_now();
    while (!l->stop && !l->stop_asked) {
        run_due(l, s, apps, napps, now, NULL);
        drain_tx(l, s, now);
        if (l->stop_asked) break;   /* asked from an app's poll: no need to wait */
        ts_time_t deadline = next_deadline(l, s, apps, napps);
        int r = submit_and_wait(l, s, now, deadline);
        if (r < 0) {
            fprintf(stderr, "tapstack: io_uring wait failed: %s\n", strerror(-r));
            return r;
        }
        now = ts_clock_now();
        if (now <= l->core_now) now = l->core_now + 1;   /* a new batch has a time of its own */
        run_due(l, s, apps, napps, now, &deadline);   /* the wait changed nothing of theirs */
        uint64_t frames = l->st.rx_frames, gso = l->st.rx_gso;
        reap(l, s, now);
        ts_rx_spin_batch(&l->spin, l->st.rx_frames - frames, l->st.rx_gso - gso);
    }
    return l->stop ? l->stop : l->stop_code;
}

void ts_loop_stop(struct ts_loop *l, int code)
{
    l->stop_asked = true;
    l->stop_code = code;
}

void ts_loop_flush(struct ts_loop *l, struct ts_stack *s, ts_time_t now, ts_time_t timeout)
{
    ts_time_t end = now + timeout;
    drain_tx(l, s, now);
    io_uring_submit(&l->ring);
    while (l->tx_nfree < l->tx_depth) {
        ts_time_t t = ts_clock_now();
        if (t >= end) break;
        struct io_uring_cqe *cqe = NULL;
        struct __kernel_timespec ts = { .tv_sec = (long long)((end - t) / 1000000u),
                                        .tv_nsec = (long long)((end - t) % 1000000u) * 1000 };
        int r = io_uring_wait_cqe_timeout(&l->ring, &cqe, &ts);
        if (r < 0 && r != -EINTR) break;
        /* Reads that complete now are dropped: the stack is shutting down. */
        unsigned head, n = 0;
        io_uring_for_each_cqe(&l->ring, head, cqe) {
            cqe_seen(l, cqe);
            uint64_t ud = io_uring_cqe_get_data64(cqe);
            if (UD_KIND(ud) == OP_TX) on_tx(l, s, UD_IDX(ud), cqe->res);
            n++;
        }
        io_uring_cq_advance(&l->ring, n);
    }
}

const struct ts_loop_stats *ts_loop_stats(const struct ts_loop *l) { return &l->st; }

/* Cancel every request in flight and wait, at most about 100 ms, until the last of them has
 * completed (each completion consumed); then drop the ring's fixed file. After this the ring
 * holds no reference to the TAP's file, so closing the fd releases it at once: otherwise the
 * kernel's asynchronous teardown of the ring keeps it, and a TAP we attached to stays busy
 * (EBUSY for the next process) for tens of milliseconds after we exit. */
static void loop_quiesce(struct ts_loop *l)
{
    struct io_uring_sqe *sqe = loop_sqe(l);
    if (sqe) {
        io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
        io_uring_sqe_set_data64(sqe, UD(OP_CANCEL, 0));
    }
    io_uring_submit(&l->ring);
    ts_time_t end = ts_clock_now() + TS_MS(100);
    while (l->inflight > 0) {
        ts_time_t t = ts_clock_now();
        if (t >= end) break;
        struct io_uring_cqe *cqe = NULL;
        struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = (long long)(end - t) * 1000 };
        int r = io_uring_wait_cqe_timeout(&l->ring, &cqe, &ts);
        if (r < 0 && r != -EINTR && r != -ETIME) break;
        unsigned head, n = 0;
        io_uring_for_each_cqe(&l->ring, head, cqe) {
            cqe_seen(l, cqe);
            n++;
        }
        io_uring_cq_advance(&l->ring, n);
    }
    if (l->tap_fixed) io_uring_unregister_files(&l->ring);
    l->tap_fixed = false;
}

void ts_loop_free(struct ts_loop *l)
{
    if (!l) return;
    if (l->ring_ok) {
        loop_quiesce(l);
        io_uring_queue_exit(&l->ring);
    }
    free(l->br);
    free(l->rx_mem);
    free(l->rx_held);
    free(l->tx_mem);
    free(l->tx_held);
    free(l->tx_iov);
    free(l->tx_hdr);
    free(l->tx_free);
    free(l);
}
