/*
 * SIGINT, SIGTERM and SIGHUP end tapstack cleanly. They are blocked and read from a signalfd,
 * which the io_uring loop watches like any other fd; SIGPIPE is ignored.
 */
#ifndef TS_DRIVER_SIGNALS_H
#define TS_DRIVER_SIGNALS_H

/* Block the stop signals and return a signalfd that reports them, or -errno. Call it before
 * creating anything that must be torn down, so a signal during setup is not lost. */
int ts_signals_open(void);

/* Read one pending signal from the signalfd; returns its number, or 0 if none. */
int ts_signals_take(int fd);

#endif
