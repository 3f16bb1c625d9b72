/* The report page: src/report/web/report.html with its markers replaced by
 * the style, the data and the scripts, all compiled in from
 * src/report/web/ (see CMakeLists.txt). The data goes inside a
 * <script type="application/json"> element, which ends at the first
 * "</script" whatever the JSON means (HTML §13.2.5.4, script data state):
 * every '<' of the JSON is written \u003c, which JSON.parse reads back as
 * '<'. Outside strings the JSON has no '<', so this changes no meaning. */
#include "report_int.h"

#include <stdlib.h>

/* The web files (cmake/embed.cmake). */
#define WEB_FILE(sym)                                                                              \
    extern const char sym[];                                                                       \
    extern const size_t sym##_len;
WEB_FILE(ib_web_report_html)
WEB_FILE(ib_web_report_css)
WEB_FILE(ib_web_i18n_js)
WEB_FILE(ib_web_dissect_js)
WEB_FILE(ib_web_model_js)
WEB_FILE(ib_web_vlist_js)
WEB_FILE(ib_web_packets_js)
WEB_FILE(ib_web_sequence_js)
WEB_FILE(ib_web_topology_js)
WEB_FILE(ib_web_story_js)
WEB_FILE(ib_web_tcpview_js)
WEB_FILE(ib_web_tables_js)
WEB_FILE(ib_web_main_js)

struct web_file {
    const char *text;
    const size_t *len;
};

/* In the order they are loaded: each may use the ones before. */
static const struct web_file scripts[] = {
    {ib_web_i18n_js, &ib_web_i18n_js_len},         {ib_web_dissect_js, &ib_web_dissect_js_len},
    {ib_web_model_js, &ib_web_model_js_len},       {ib_web_vlist_js, &ib_web_vlist_js_len},
    {ib_web_packets_js, &ib_web_packets_js_len},   {ib_web_sequence_js, &ib_web_sequence_js_len},
    {ib_web_topology_js, &ib_web_topology_js_len}, {ib_web_story_js, &ib_web_story_js_len},
    {ib_web_tcpview_js, &ib_web_tcpview_js_len},   {ib_web_tables_js, &ib_web_tables_js_len},
    {ib_web_main_js, &ib_web_main_js_len},
};

/* The JSON, '<' escaped. */
static int put_data(FILE *out, const struct ib_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return IB_ERR_NOMEM;
    rp_put_json(m, r);
    if (fclose(m) != 0 || !buf) {
        free(buf);
        return IB_ERR_NOMEM;
    }
    for (size_t i = 0; i < len;) {
        size_t n = strcspn(buf + i, "<");
        fwrite(buf + i, 1, n, out);
        i += n;
        if (i < len) {
            fputs("\\u003c", out);
            i++;
        }
    }
    free(buf);
    return IB_OK;
}

/* Text for an HTML element's content (HTML §13.1.2.6). */
static void put_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '&')
            fputs("&amp;", out);
        else
            putc(*s, out);
    }
}

/* Writes one marker's content; IB_ERR_INVAL if name is no marker. */
static int put_marker(FILE *out, const struct ib_report *r, const char *name, size_t n)
{
    if (n == 5 && memcmp(name, "TITLE", 5) == 0) {
        put_text(out, r->title ? r->title : "inetbox report");
    } else if (n == 3 && memcmp(name, "CSS", 3) == 0) {
        fwrite(ib_web_report_css, 1, ib_web_report_css_len, out);
    } else if (n == 4 && memcmp(name, "DATA", 4) == 0) {
        return put_data(out, r);
    } else if (n == 6 && memcmp(name, "SCRIPT", 6) == 0) {
        for (size_t i = 0; i < IB_ARRAY_LEN(scripts); i++)
            fwrite(scripts[i].text, 1, *scripts[i].len, out);
    } else {
        return IB_ERR_INVAL;
    }
    return IB_OK;
}

/* Markers in the template are @@NAME@@. */
int ib_report_write(const struct ib_report *r, FILE *out)
{
    const char *t = ib_web_report_html, *end = t + ib_web_report_html_len;
    while (t < end) {
        const char *m = strstr(t, "@@");
        const char *e = m ? strstr(m + 2, "@@") : NULL;
        if (!m || !e) {
            fwrite(t, 1, (size_t)(end - t), out);
            break;
        }
        fwrite(t, 1, (size_t)(m - t), out);
        int rc = put_marker(out, r, m + 2, (size_t)(e - m - 2));
        if (rc == IB_ERR_NOMEM) return rc;
        if (rc != IB_OK) fwrite(m, 1, (size_t)(e + 2 - m), out);
        t = e + 2;
    }
    return ferror(out) ? IB_ERR_IO : IB_OK;
}

int ib_report_write_json(const struct ib_report *r, FILE *out)
{
    int rc = put_data(out, r);
    if (rc == IB_OK) putc('\n', out);
    return rc == IB_OK && ferror(out) ? IB_ERR_IO : rc;
}
