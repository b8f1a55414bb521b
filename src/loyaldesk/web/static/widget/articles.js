// loyaldesk chat widget: help articles suggested as the shopper types, before a conversation starts.
// Loaded by loader.js, which passes its helpers. Asks /widget-api/v1/{store}/articles after a pause in
// typing (debounced), shows the top 3 as links into the store's help center, and reports an opened one
// (a deflection record). Every text from the server is inserted as text.

const DEBOUNCE_MS = 400;
const MIN_CHARACTERS = 4;

function safeUrl(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export class ArticleSuggestions {
  // api: `${origin}/widget-api/v1/${store}`; input: the composer's textarea; before: the composer form
  // (the suggestions go above it); active(): whether to suggest (no conversation yet); visitorToken().
  constructor({ api, t, el, input, before, language, active, visitorToken }) {
    this.api = api;
    this.el = el;
    this.language = language;
    this.active = active;
    this.visitorToken = visitorToken;
    this.timer = null;
    this.lastQuery = "";
    this.searchId = null;
    this.list = el("ul", { class: "ldw-articles-list" });
    this.region = el(
      "section",
      { class: "ldw-articles", "aria-live": "polite", "aria-label": t("Help articles") },
      el("p", { class: "ldw-articles-title", text: t("These articles may answer your question:") }),
      this.list,
    );
    this.region.hidden = true;
    before.before(this.region);
    input.addEventListener("input", () => this.schedule(input.value));
  }

  schedule(text) {
    clearTimeout(this.timer);
    const query = text.trim();
    if (!this.active() || query.length < MIN_CHARACTERS) {
      this.show([]);
      return;
    }
    this.timer = setTimeout(() => this.search(query), DEBOUNCE_MS);
  }

  async search(query) {
    if (query === this.lastQuery) return;
    this.lastQuery = query;
    const params = new URLSearchParams({ q: query, language: this.language() });
    try {
      const response = await fetch(`${this.api}/articles?${params}`);
      if (!response.ok) return;
      const found = await response.json();
      if (query !== this.lastQuery) return; // an older answer arriving late
      this.searchId = found.search_id;
      this.show(found.articles);
    } catch {
      // Suggestions are a help, never in the way: a failed search shows nothing.
    }
  }

  show(articles) {
    this.list.replaceChildren();
    for (const article of articles.slice(0, 3)) {
      const href = safeUrl(article.url);
      if (!href) continue;
      const link = this.el("a", { href, target: "_blank", rel: "noopener", text: article.title });
      link.addEventListener("click", () => this.opened(article.id));
      this.list.append(this.el("li", {}, link, this.el("p", { class: "ldw-articles-snippet", text: article.snippet })));
    }
    this.region.hidden = this.list.childElementCount === 0;
  }

  opened(articleId) {
    const body = JSON.stringify({ search_id: this.searchId || undefined, visitor_token: this.visitorToken() || undefined });
    fetch(`${this.api}/articles/${articleId}/opened`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body, keepalive: true,
    }).catch(() => {});
  }

  hide() {
    clearTimeout(this.timer);
    this.show([]);
  }
}
