/* check.xml: the result of `seggap check` in the JUnit XML format that
 * GitLab, Jenkins and GitHub show, written with libxml2's xmlTextWriter.
 *
 *   <testsuites name="seggap check" tests= failures= errors="0" skipped=>
 *     <testsuite name="validation">  one <testcase> per validation rule
 *     <testsuite name="thresholds">  one <testcase> per threshold rule
 *
 * A failed rule has a <failure> (message, type = finding or threshold code,
 * the findings as text); a rule not evaluated has <skipped>; warnings of a
 * passing rule go to <system-out>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libxml/xmlwriter.h>

#include "check/check.h"

/* XML 1.0 takes only valid UTF-8 without most control characters: anything
 * else becomes '?'. */
static char *xml_clean(const char *raw) {
    char *s = sg__redact(raw); /* and no password from a connection string */
    if (!s) return NULL;
    size_t n = strlen(s);
    char *o = malloc(n + 1);
    if (!o) {
        free(s);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        int ok = len > 0 && i + len <= n;
        for (size_t j = 1; ok && j < len; j++) ok = ((unsigned char)s[i + j] >> 6) == 2;
        if (ok && len == 1 && c < 0x20 && c != '\t' && c != '\n' && c != '\r') ok = 0;
        if (!ok) {
            o[k++] = '?';
            i++;
            continue;
        }
        memcpy(o + k, s + i, len);
        k += len;
        i += len;
    }
    o[k] = '\0';
    free(s);
    return o;
}

typedef struct jw {
    xmlTextWriterPtr w;
    int bad;
} jw;

static void attr(jw *j, const char *name, const char *value) {
    char *v = xml_clean(value ? value : "");
    if (!v || xmlTextWriterWriteAttribute(j->w, BAD_CAST name, BAD_CAST v) < 0) j->bad = 1;
    free(v);
}
static void attr_n(jw *j, const char *name, size_t n) {
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", n);
    attr(j, name, buf);
}
static void start(jw *j, const char *name) {
    if (xmlTextWriterStartElement(j->w, BAD_CAST name) < 0) j->bad = 1;
}
static void end(jw *j) {
    if (xmlTextWriterEndElement(j->w) < 0) j->bad = 1;
}
static void text(jw *j, const char *s) {
    char *v = xml_clean(s ? s : "");
    if (!v || xmlTextWriterWriteString(j->w, BAD_CAST v) < 0) j->bad = 1;
    free(v);
}

static const char *sget(json_object *o, const char *key) {
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

/* Findings of one rule as lines of text, errors first; counts by severity. */
static char *rule_findings(json_object *findings, const char *rule, int errors, const char **first_code) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    for (size_t i = 0; i < json_object_array_length(findings); i++) {
        json_object *f = json_object_array_get_idx(findings, i);
        const char *sev = sget(f, "severity");
        if (strcmp(sget(f, "rule"), rule) != 0 || (strcmp(sev, "error") == 0) != errors) continue;
        if (first_code && !*first_code) *first_code = sget(f, "code");
        fprintf(m, "%s %s: ", sev, sget(f, "code"));
        sg__check_finding_text(m, f);
        fputc('\n', m);
    }
    fclose(m);
    return buf;
}

static void suite_counts(json_object *arr, size_t *tests, size_t *fail, size_t *skip) {
    *tests = json_object_array_length(arr);
    *fail = *skip = 0;
    for (size_t i = 0; i < *tests; i++) {
        const char *s = sget(json_object_array_get_idx(arr, i), "status");
        if (s && strcmp(s, "fail") == 0) (*fail)++;
        else if (s && strcmp(s, "skipped") == 0) (*skip)++;
    }
}

sg_status sg__junit_write(sg_ctx *ctx, void *check_json, const char *path) {
    json_object *root = check_json, *val = NULL, *rules = NULL, *findings = NULL, *th = NULL, *results = NULL;
    json_object_object_get_ex(root, "validation", &val);
    json_object_object_get_ex(val, "rules", &rules);
    json_object_object_get_ex(val, "findings", &findings);
    json_object_object_get_ex(root, "thresholds", &th);
    json_object_object_get_ex(th, "results", &results);
    if (!rules || !findings || !results)
        return sg__error(ctx, SG_ERR_INTERNAL, "E_INTERNAL", SG_WHERE_NONE, "check.json lacks validation or thresholds");
    /* built in memory, then written atomically (sg__output_write checks its size) */
    xmlInitParser();
    xmlBufferPtr xbuf = xmlBufferCreate();
    jw j = {xbuf ? xmlNewTextWriterMemory(xbuf, 0) : NULL, 0};
    if (!j.w) {
        if (xbuf) xmlBufferFree(xbuf);
        return sg__nomem(ctx);
    }
    xmlTextWriterSetIndent(j.w, 1);
    xmlTextWriterSetIndentString(j.w, BAD_CAST "  ");
    if (xmlTextWriterStartDocument(j.w, NULL, "UTF-8", NULL) < 0) j.bad = 1;
    size_t vt, vf, vs, tt, tf, ts;
    suite_counts(rules, &vt, &vf, &vs);
    suite_counts(results, &tt, &tf, &ts);
    start(&j, "testsuites");
    attr(&j, "name", "seggap check");
    attr_n(&j, "tests", vt + tt);
    attr_n(&j, "failures", vf + tf);
    attr_n(&j, "errors", 0);
    attr_n(&j, "skipped", vs + ts);

    start(&j, "testsuite");
    attr(&j, "name", "validation");
    attr_n(&j, "tests", vt);
    attr_n(&j, "failures", vf);
    attr_n(&j, "errors", 0);
    attr_n(&j, "skipped", vs);
    for (size_t i = 0; i < vt; i++) {
        json_object *r = json_object_array_get_idx(rules, i);
        const char *name = sget(r, "rule"), *status = sget(r, "status");
        start(&j, "testcase");
        attr(&j, "classname", "seggap.validation");
        attr(&j, "name", name);
        if (strcmp(status, "fail") == 0) {
            const char *code = NULL;
            char *errs = rule_findings(findings, name, 1, &code);
            if (!code) code = "";
            char msg[512];
            snprintf(msg, sizeof msg, "%s error%s (first: %s): %s", sget(r, "errors"),
                     strcmp(sget(r, "errors"), "1") == 0 ? "" : "s", code, sget(r, "description"));
            start(&j, "failure");
            attr(&j, "message", msg);
            attr(&j, "type", code);
            text(&j, errs ? errs : "");
            end(&j);
            free(errs);
        } else if (strcmp(status, "skipped") == 0) {
            start(&j, "skipped");
            attr(&j, "message", sget(r, "note") ? sget(r, "note") : "not checked");
            end(&j);
        }
        char *other = rule_findings(findings, name, 0, NULL);
        if (other && *other) {
            start(&j, "system-out");
            text(&j, other);
            end(&j);
        }
        free(other);
        end(&j);
    }
    end(&j);

    start(&j, "testsuite");
    attr(&j, "name", "thresholds");
    attr_n(&j, "tests", tt);
    attr_n(&j, "failures", tf);
    attr_n(&j, "errors", 0);
    attr_n(&j, "skipped", ts);
    for (size_t i = 0; i < tt; i++) {
        json_object *r = json_object_array_get_idx(results, i);
        const char *status = sget(r, "status");
        start(&j, "testcase");
        attr(&j, "classname", "seggap.thresholds");
        attr(&j, "name", sget(r, "name"));
        if (strcmp(status, "fail") == 0) {
            start(&j, "failure");
            attr(&j, "message", sget(r, "message"));
            attr(&j, "type", sget(r, "code"));
            text(&j, json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
            end(&j);
        } else if (strcmp(status, "skipped") == 0) {
            start(&j, "skipped");
            attr(&j, "message", sget(r, "message"));
            end(&j);
        } else {
            start(&j, "system-out");
            text(&j, sget(r, "message"));
            end(&j);
        }
        end(&j);
    }
    end(&j);
    end(&j);
    if (xmlTextWriterEndDocument(j.w) < 0) j.bad = 1;
    if (xmlTextWriterFlush(j.w) < 0) j.bad = 1;
    xmlFreeTextWriter(j.w); /* flushes into xbuf */
    sg_status st = j.bad ? sg__nomem(ctx) /* a memory writer fails only for lack of memory */
                         : sg__output_write(ctx, path, xmlBufferContent(xbuf), (size_t)xmlBufferLength(xbuf));
    xmlBufferFree(xbuf);
    return st;
}
