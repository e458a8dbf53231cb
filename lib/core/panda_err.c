/*  panda_err.c - error codes and messages. See panda_err.h.                */
#include "panda/panda_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *
panda_strerror (panda_err_t code)
{
    switch (code) {
        case PANDA_OK: return "ok";
        case PANDA_ERR_NOMEM: return "out of memory";
        case PANDA_ERR_DECODE: return "decode error";
        case PANDA_ERR_INVALID: return "invalid";
        case PANDA_ERR_SIGNATURE: return "signature error";
        case PANDA_ERR_SCHEMA: return "schema error";
        case PANDA_ERR_DOCUMENT: return "document error";
        case PANDA_ERR_NOT_FOUND: return "not found";
        case PANDA_ERR_LIMIT: return "limit exceeded";
        case PANDA_ERR_IO: return "i/o error";
        case PANDA_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

panda_err_t
panda_error_set (panda_error_t *err, panda_err_t code, const char *format, ...)
{
    if (err) {
        err->code = code;
        va_list args;
        va_start (args, format);
        vsnprintf (err->message, sizeof err->message, format, args);
        va_end (args);
    }
    return code;
}

panda_err_t
panda_error_prefix (panda_error_t *err, const char *format, ...)
{
    if (!err)
        return PANDA_ERR_INTERNAL;
    char prefix[PANDA_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (prefix, sizeof prefix, format, args);
    va_end (args);
    //  Shift the message right and put the prefix in front, truncating.
    size_t plen = strlen (prefix), mlen = strlen (err->message);
    if (plen > PANDA_ERROR_MESSAGE_MAX - 1)
        plen = PANDA_ERROR_MESSAGE_MAX - 1;
    if (plen + mlen > PANDA_ERROR_MESSAGE_MAX - 1)
        mlen = PANDA_ERROR_MESSAGE_MAX - 1 - plen;
    memmove (err->message + plen, err->message, mlen);
    memcpy (err->message, prefix, plen);
    err->message[plen + mlen] = '\0';
    return err->code;
}

void
panda_error_clear (panda_error_t *err)
{
    if (err) {
        err->code = PANDA_OK;
        err->message[0] = '\0';
    }
}
