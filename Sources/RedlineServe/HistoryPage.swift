import RedlineDiff

/// `GET /articles/{path}/history` as an HTML page: every version with its edits inline, for people.
///
/// Plain string building, no template engine: the page is one list, and a dependency would buy nothing that
/// ``Markup/escape(_:)`` does not already give. It reads right for Persian: every piece of article text (the
/// path, each removed and inserted span) is its own `dir="auto"` isolate, so a right-to-left span, Latin words
/// and digits around it keep their logical order and never reorder the labels beside them.
///
/// It stays light for an article with 1,000 versions: one request, no script needed, a few elements per
/// edit, and the switch that hides cosmetic edits is a checkbox that CSS (`:has`) acts on at once; with
/// JavaScript it also reloads the page as `?hide=cosmetic`, which leaves those edits out of the page itself.
enum HistoryPage {
    /// The page for `path`'s `versions` (oldest first, as the index gives them), newest first on the page.
    static func render(path: String, _ versions: [ArticleIndex.Version], hideCosmetic: Bool) -> String {
        var out = ""
        out.reserveCapacity(2048 + versions.count * 600)
        let title = Markup.escape(path)
        out += """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>History of \(title)</title>
            <style>\(style)</style>
            </head>
            <body>
            <header>
            <h1>History of <bdi dir="auto" class="path">\(title)</bdi></h1>
            <p class="facts">\(versions.count) version\(versions.count == 1 ? "" : "s") ·
            <a href="history?format=json">JSON</a> · <a href="feed.atom">Atom</a></p>
            <form method="get" action="history" class="switch">
            <input type="hidden" name="format" value="html">
            <label><input type="checkbox" id="hide-cosmetic" name="hide" value="cosmetic"\(hideCosmetic ? " checked" : "")
             onchange="this.form.submit()"> Hide cosmetic edits (whitespace, punctuation, orthography)</label>
            <noscript><button type="submit">Apply</button></noscript>
            </form>
            </header>
            <main>
            <ol class="versions" reversed>

            """
        for version in versions.reversed() {
            render(version, hideCosmetic: hideCosmetic, into: &out)
        }
        out += "</ol>\n</main>\n</body></html>\n"
        return out
    }

    private static func render(_ v: ArticleIndex.Version, hideCosmetic: Bool, into out: inout String) {
        let significance = v.significance ?? "none"
        out += "<li class=\"version sig-\(Markup.escape(significance)) type-\(Markup.escape(v.type))\""
        out += " id=\"v\(v.seq)\" data-seq=\"\(v.seq)\">\n<p class=\"meta\">"
        if ["created", "modified", "moved"].contains(v.type) {
            out += "<a class=\"seq\" href=\"versions/\(v.seq)\">seq \(v.seq)</a>"
        } else {
            out += "<span class=\"seq\">seq \(v.seq)</span>"
        }
        out += " <time datetime=\"\(Markup.escape(v.time))\">\(Markup.escape(v.time))</time>"
        out += " <span class=\"type\">\(Markup.escape(v.type))</span>"
        if let s = v.significance { out += " <span class=\"significance\">\(Markup.escape(s))</span>" }
        for c in v.classes { out += " <span class=\"class c-\(Markup.escape(c))\">\(Markup.escape(c))</span>" }
        if let from = v.fromPath { out += " from <bdi dir=\"auto\" class=\"path\">\(Markup.escape(from))</bdi>" }
        if v.type == "created", let size = v.size { out += " <span class=\"size\">\(size) bytes</span>" }
        out += "</p>\n"
        let shown = v.changes.filter { !(hideCosmetic && $0.class.significance == .cosmetic) }
        if !shown.isEmpty {
            out += "<ul class=\"edits\">\n"
            for change in shown { out += edit(change) + "\n" }
            out += "</ul>\n"
        }
        if shown.count < v.changes.count {
            let hidden = v.changes.count - shown.count
            out += "<p class=\"hidden-note\">\(hidden) cosmetic edit\(hidden == 1 ? "" : "s") hidden</p>\n"
        }
        out += "</li>\n"
    }

    /// One edit as a list item: its class and paragraph, then the removed and inserted text, each an isolate.
    static func edit(_ change: Change) -> String {
        let c = change.class.rawValue
        let cosmetic = change.class.significance == .cosmetic ? " cosmetic" : ""
        var out = "<li class=\"edit c-\(c)\(cosmetic)\"><span class=\"label\">\(c)"
        if let rule = change.rule { out += " <span class=\"rule\">\(Markup.escape(rule))</span>" }
        switch (change.oldParagraph, change.newParagraph) {
        case (let o?, let n?) where o != n: out += " ¶\(o + 1)→\(n + 1)"
        case (_, let n?): out += " ¶\(n + 1)"
        case (let o?, nil): out += " ¶\(o + 1)"
        default: break
        }
        out += "</span> "
        switch change.class {
        case .paragraphMoved:
            out += "<span class=\"moved c-\(c)\" dir=\"auto\">\(Markup.escape(change.newText ?? ""))</span>"
        default:
            let spaces = change.class == .whitespace
            let old = change.oldText.flatMap { $0.isEmpty ? nil : $0 }
            let new = change.newText.flatMap { $0.isEmpty ? nil : $0 }
            if let old { out += "<del class=\"c-\(c)\" dir=\"auto\">\(Markup.escape(visible(old, spaces)))</del>" }
            if old != nil, new != nil { out += " <span class=\"arrow\">→</span> " }
            if let new { out += "<ins class=\"c-\(c)\" dir=\"auto\">\(Markup.escape(visible(new, spaces)))</ins>" }
        }
        return out + "</li>"
    }

    /// Line breaks and tabs shown as symbols, and for a whitespace edit its spaces too: an edit must have
    /// something to see.
    private static func visible(_ s: String, _ spaces: Bool) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\t" || (spaces && $0 == " ") })
        else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\n": out += "↵"
            case "\r": out += "␍"
            case "\t": out += "⇥"
            case " " where spaces: out += "␣"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // Colours by class: greys for cosmetic, amber for minor, red/green for substantive edits.
    private static let style = """
        body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60em;padding:0 1em}
        bdi,del,ins,.moved{unicode-bidi:isolate;white-space:pre-wrap}
        ol.versions{padding-left:2em}
        li.version{border-top:1px solid #ddd;padding:.4em 0}
        .meta{margin:0;color:#444}.meta time{font-variant-numeric:tabular-nums}
        .significance,.class{border-radius:3px;padding:0 .3em;font-size:.85em;background:#eee}
        .sig-substantive .significance{background:#fdd}.sig-minor .significance{background:#fed}
        ul.edits{list-style:none;padding-left:1em;margin:.2em 0}
        .label{font-size:.8em;color:#666;margin-inline-end:.4em}
        del{text-decoration:line-through;background:#fdd;color:#900}
        ins{text-decoration:none;background:#dfd;color:#060}
        del.c-whitespace,del.c-punctuation,del.c-orthography{background:#eee;color:#555}
        ins.c-whitespace,ins.c-punctuation,ins.c-orthography{background:#f4f4f4;color:#333}
        del.c-spelling,del.c-paragraph_moved{background:#fed;color:#840}
        ins.c-spelling,ins.c-paragraph_moved{background:#ffd;color:#550}
        del.c-number,ins.c-number{font-weight:bold}
        .arrow{color:#999;font-size:.8em}.moved{color:#840}.hidden-note{font-size:.8em;color:#888;margin:0 1em}
        body:has(#hide-cosmetic:checked) .edit.cosmetic{display:none}
        """
}

/// Escaping for HTML and XML text and attribute values.
enum Markup {
    /// `s` safe inside an element or a quoted attribute: `& < > " '` escaped, and the control characters XML 1.0
    /// forbids (and HTML calls errors) replaced with U+FFFD.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case let c where c.value < 0x20 || c.value == 0xFFFE || c.value == 0xFFFF: out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
