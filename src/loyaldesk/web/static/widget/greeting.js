// loyaldesk chat widget: the greeting for a returning shopper (GET /widget-api/v1/{store}/greeting). Only a
// shopper the store's page signed in (the welcome frame says "identified") is asked about; the answer's
// words are already in their language, and every one of them is inserted as text. An anonymous visitor
// keeps the store's own greeting: nothing personal is ever fetched for them. No images (the store's
// Content-Security-Policy allows loyaldesk's origin only, not the catalogue's image hosts).

export class PersonalGreeting {
  constructor({ api, origin, identity, el, list, language }) {
    this.api = api; // `${origin}/widget-api/v1/${store}`
    this.origin = origin;
    this.identity = identity; // the store's signature of the shopper, for the member page's links
    this.el = el;
    this.list = list;
    this.language = language;
    this.greeting = null; // what the desk said, kept for reconnections
  }

  async onWelcome(frame) {
    if (!frame.identified || !frame.ticket) return;
    if (!this.greeting) {
      try {
        const query = new URLSearchParams({ ticket: frame.ticket, language: this.language() });
        const response = await fetch(`${this.api}/greeting?${query}`);
        if (!response.ok) return;
        this.greeting = await response.json();
      } catch {
        return; // the store's own greeting stays
      }
    }
    this.show();
  }

  show() {
    const greeting = this.greeting;
    const item = this.list.querySelector(".ldw-greeting");
    if (!greeting?.personal || !item) return;
    const { el } = this;
    const parts = [el("p", { class: "ldw-greeting-title", text: greeting.title })];
    for (const line of greeting.lines || []) parts.push(el("p", { text: line }));
    const suggestion = greeting.suggestion;
    if (suggestion) {
      const url = /^https?:\/\//.test(suggestion.url || "") ? suggestion.url : null;
      const title = url
        ? el("a", { href: url, target: "_blank", rel: "noopener", text: suggestion.title })
        : el("strong", { text: suggestion.title });
      parts.push(
        el("div", { class: `ldw-suggestion ldw-suggestion-${suggestion.kind}` },
          el("p", { class: "ldw-suggestion-label", text: suggestion.label }),
          el("p", {}, title),
          suggestion.text ? el("p", { class: "ldw-suggestion-why", text: suggestion.text }) : null),
      );
    }
    const sessions = greeting.sessions;
    if (sessions && this.identity && /^\/m\//.test(sessions.path || "")) {
      // Expert sessions: booked on the member page, opened with the same signed identity.
      const query = new URLSearchParams({ customer: this.identity.customer_id, signature: this.identity.signature || "" });
      if (this.identity.expires !== undefined) query.set("expires", String(this.identity.expires));
      parts.push(el("p", { class: "ldw-sessions-link" },
        el("a", { href: `${this.origin}${sessions.path}?${query}`, target: "_blank", rel: "noopener", text: sessions.label })));
    }
    if (greeting.closing) parts.push(el("p", { text: greeting.closing }));
    item.classList.add("ldw-personal");
    item.replaceChildren(...parts);
  }
}
