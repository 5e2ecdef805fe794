#ifndef HOGWILD_TEMPORARY_FILES_H
#define HOGWILD_TEMPORARY_FILES_H

// A fixed table of the process's temporary output files, reachable from a signal handler: it
// holds the paths in static memory and claims slots with atomic operations, so registering,
// unregistering and removing never allocate or lock.

/// Records `path` (a temporary file about to be created) for removal on SIGINT, SIGTERM, SIGHUP
/// or exit. Returns its slot, or -1 when the table is full or the path too long (the file is then
/// not removed by the handlers).
int hogwild_temporary_register(const char *path);

/// Forgets the file in `slot` (after it was renamed into place or removed). Ignores -1.
void hogwild_temporary_unregister(int slot);

/// Unlinks every recorded temporary file. Async-signal-safe.
void hogwild_temporary_remove_all(void);

/// Installs handlers for SIGINT, SIGTERM and SIGHUP (unless the signal is ignored, as for a
/// `nohup` run) that remove the recorded temporary files and exit with 128 + the signal number
/// (130, 143, 129), unblocks those signals in the calling thread, and removes the files at `exit`
/// too. Call it from the main thread before starting others.
void hogwild_install_temporary_cleanup(void);

#endif
