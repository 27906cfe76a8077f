#include "collector/json.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int
ia_json_aws_error(const char *body, size_t len, char *code, size_t code_cap, char *message,
                  size_t message_cap)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    int found = 0;
    if (!json_is_object(root))
        goto out;
    const char *type = json_string_value(json_object_get(root, "__type"));
    if (!type)
        type = json_string_value(json_object_get(root, "code"));
    if (!type)
        goto out;
    /* "com.amazonaws.organizations#AccessDeniedException" -> the part after '#'. */
    const char *hash = strrchr(type, '#');
    snprintf(code, code_cap, "%s", hash ? hash + 1 : type);
    const char *msg = json_string_value(json_object_get(root, "message"));
    if (!msg)
        msg = json_string_value(json_object_get(root, "Message"));
    snprintf(message, message_cap, "%s", msg ? msg : "");
    found = 1;
out:
    json_decref(root);
    return found;
}
