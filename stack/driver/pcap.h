/*
 * Classic pcap files (the format tcpdump, tshark and Wireshark read): a writer with buffered
 * output, a writer that keeps one file per TCP conversation, and a validating reader for replay.
 *
 * File layout (all fields in the byte order the magic number reveals; we write little-endian):
 *
 *   global header, 24 bytes
 *   OFFSET SIZE DESCRIPTION
 *   0      4    magic: 0xa1b2c3d4 (microsecond timestamps) or 0xa1b23c4d (nanosecond)
 *   4      2    version major (2)
 *   6      2    version minor (4)
 *   8      4    thiszone (GMT offset, 0)
 *   12     4    sigfigs (0)
 *   16     4    snaplen: largest record that may be stored
 *   20     4    network: link type (1 = LINKTYPE_ETHERNET)
 *
 *   record header, 16 bytes, followed by incl_len bytes of frame
 *   OFFSET SIZE DESCRIPTION
 *   0      4    ts_sec
 *   4      4    ts_usec (or ts_nsec for the nanosecond magic)
 *   8      4    incl_len: bytes stored
 *   12     4    orig_len: bytes the frame had on the wire
 */
#ifndef TS_DRIVER_PCAP_H
#define TS_DRIVER_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "tapstack/stack.h"

#define TS_PCAP_LINKTYPE_ETHERNET 1u
#define TS_PCAP_SNAPLEN 262144u       /* what we write, and the largest record we accept */
#define TS_PCAP_GLOBAL_HLEN 24u
#define TS_PCAP_REC_HLEN 16u

/* ---- writer ---- */

struct ts_pcap_writer;

/* Create (truncate) path and write the global header. Returns NULL on error with errno set. */
struct ts_pcap_writer *ts_pcap_open(const char *path);

/* Write to an open stream instead (the writer does not close it unless own is true). */
struct ts_pcap_writer *ts_pcap_open_stream(FILE *f, bool own, bool write_header);

/* Append one frame stamped with time t (microseconds since the Unix epoch). Frames longer than
 * the snap length are cut, keeping orig_len. Returns 0, or -1 on a write error (sticky). */
int ts_pcap_write(struct ts_pcap_writer *w, ts_time_t t, const uint8_t *frame, size_t len);

/* Push buffered records to the file. Returns 0 or -1. */
int ts_pcap_flush(struct ts_pcap_writer *w);

/* Flush, close and free. Returns 0, or -1 if any write failed. Safe on NULL. */
int ts_pcap_close(struct ts_pcap_writer *w);

/* Records written so far. */
uint64_t ts_pcap_count(const struct ts_pcap_writer *w);

/* ---- one file per TCP conversation ---- */

struct ts_pcap_conns;

/* Write into directory dir (must exist). At most max_files conversations get a file (0 means
 * 4096); at most 32 are open at once (the least recently used is closed and reopened to append). */
struct ts_pcap_conns *ts_pcap_conns_new(const char *dir, unsigned max_files);

/* If frame is an IPv4 TCP segment, append it to its conversation's file, named
 * "A.B.C.D_PORT-E.F.G.H_PORT.pcap" with the side that sent the first SYN (or, when the opening
 * was not seen, the higher port) first. Other frames are ignored. Returns 0 or -1 on error. */
int ts_pcap_conns_write(struct ts_pcap_conns *pc, ts_time_t t, const uint8_t *frame, size_t len);

/* The file name the conversation of frame is (or would be) written to, into buf (>= 48 bytes);
 * false if frame is not IPv4 TCP. */
bool ts_pcap_conn_name(const uint8_t *frame, size_t len, char *buf, size_t cap);

/* Number of conversation files made. */
unsigned ts_pcap_conns_files(const struct ts_pcap_conns *pc);

/* Close every file and free. Returns 0, or -1 if any write failed. Safe on NULL. */
int ts_pcap_conns_close(struct ts_pcap_conns *pc);

/* ---- reader ---- */

struct ts_pcap_reader;

struct ts_pcap_rec {
    ts_time_t t;            /* microseconds since the epoch (nanosecond files are rounded down) */
    uint32_t incl_len;      /* bytes in data */
    uint32_t orig_len;
    const uint8_t *data;    /* valid until the next read or close */
};

/* Open path and check its global header. On error returns NULL and writes why into err. */
struct ts_pcap_reader *ts_pcap_reader_open(const char *path, char *err, size_t errcap);

/* The same over a stream (closed by ts_pcap_reader_close if own). */
struct ts_pcap_reader *ts_pcap_reader_stream(FILE *f, bool own, char *err, size_t errcap);

/* The link type and snap length from the header. */
uint32_t ts_pcap_reader_linktype(const struct ts_pcap_reader *r);
uint32_t ts_pcap_reader_snaplen(const struct ts_pcap_reader *r);

/* Read the next record: 1 with *rec filled, 0 at a clean end of file, -1 on a bad or truncated
 * record (err says what and at which byte offset; reading stops there). */
int ts_pcap_read(struct ts_pcap_reader *r, struct ts_pcap_rec *rec, char *err, size_t errcap);

/* Close and free. Safe on NULL. */
void ts_pcap_reader_close(struct ts_pcap_reader *r);

#endif
