/* One-line structured logging to stderr: `TIME level=L mod=M msg="..." key=value ...`. */
#ifndef IA_CORE_LOG_H
#define IA_CORE_LOG_H

enum ia_log_level { IA_LOG_ERROR = 0, IA_LOG_WARN, IA_LOG_INFO, IA_LOG_DEBUG };

void ia_log_set_level(enum ia_log_level level);
enum ia_log_level ia_log_get_level(void);
/* Parse "error", "warn", "info", "debug"; returns 0 or -1 for an unknown name. */
int ia_log_level_parse(const char *name, enum ia_log_level *out);

/*
 * Write one line. fmt continues after "mod=M ", normally `msg="..." key=%s ...`.
 * Every %s value is escaped logfmt-style ('"', '\\' and control characters as \", \\,
 * \n, \xNN), and quoted when it stands outside quotes in fmt and is empty or holds a
 * space, '=' or an escaped byte: a value can never forge a line or a key. Lines longer than
 * 2 KiB are cut. Never pass a secret. Thread-safe (one write per line).
 */
void ia_log_write(enum ia_log_level level, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The level is checked before any argument is formatted. */
#define IA_LOG(level, mod, ...)                                                                    \
    do {                                                                                           \
        if ((level) <= ia_log_get_level())                                                         \
            ia_log_write((level), (mod), __VA_ARGS__);                                             \
    } while (0)
#define IA_LOG_ERR(mod, ...) IA_LOG(IA_LOG_ERROR, mod, __VA_ARGS__)
#define IA_LOG_WARN(mod, ...) IA_LOG(IA_LOG_WARN, mod, __VA_ARGS__)
#define IA_LOG_INFO(mod, ...) IA_LOG(IA_LOG_INFO, mod, __VA_ARGS__)
#define IA_LOG_DEBUG(mod, ...) IA_LOG(IA_LOG_DEBUG, mod, __VA_ARGS__)

#endif
