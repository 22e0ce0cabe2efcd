/* kb_error.h - status codes shared by every deskdex module */
#ifndef KB_ERROR_H
#define KB_ERROR_H

#include <stddef.h>

/* Every fallible function returns one of these. KB_OK is zero and failures
 * are negative. New codes are added at the end; existing ones are never
 * renumbered, because logs and the HTTP error map refer to them. */
typedef enum kb_rc {
    KB_OK = 0,
    KB_ERROR = -1,      /* anything not covered below */
    KB_ENOMEM = -2,     /* out of memory */
    KB_EINVALID = -3,   /* bad argument or parameter */
    KB_ENOTFOUND = -4,  /* no such document, version, key or file */
    KB_EQUERY = -5,     /* query could not be built */
    KB_ELOCKED = -6,    /* the index is locked by another writer */
    KB_ECORRUPT = -7,   /* the index or a stored record is damaged */
    KB_ETOOBIG = -8,    /* input over a configured cap */
    KB_EOPEN = -9,      /* the index could not be opened */
    KB_EUTF8 = -10,     /* text is not valid UTF-8 */
    KB_EIO = -11,       /* read/write failure of a file or the index */
    KB_EDOC = -12,      /* a document failed validation */
    KB_EAUTH = -13,     /* no valid credentials */
    KB_EDENIED = -14,   /* credentials valid but not allowed */
    KB_EMETHOD = -15,   /* HTTP method not allowed on a route */
    KB_EMEDIA = -16,    /* request body is not JSON */
    KB_EUNAVAIL = -17,  /* service temporarily unavailable */
    KB_ERATE = -18,     /* rate limit exceeded */
    KB_ENETWORK = -19,  /* a remote shard did not answer */
    KB_ECONFLICT = -20, /* the target already exists */
    KB_EREADONLY = -21, /* a read-only replica was asked to write */
} kb_rc;

#define KB_RC_COUNT 22

/* Return a static one-line description of rc (never NULL). */
const char *kb_strerror(int rc);

/* Return the stable snake_case name of rc ("not_found"), used in JSON. */
const char *kb_rc_name(int rc);

/* Free memory returned by any kb_ function documented as "new". NULL is ok. */
void kb_free(void *p);

/* Set *errmsg (if errmsg is not NULL) to a new formatted message and return
 * rc, so callers can write `return kb_fail(errmsg, KB_EINVALID, "...")`. An
 * existing message is replaced. */
int kb_fail(char **errmsg, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* In release builds an invalid argument returns KB_EINVALID, not a crash. */
#define KB_ASSERT_ARG(x)                                                       \
    do {                                                                       \
        if (!(x))                                                              \
            return KB_EINVALID;                                                \
    } while (0)

#endif
