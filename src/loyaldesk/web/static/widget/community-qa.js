// loyaldesk product Q&A block for a store's product page. The store adds one tag where the block goes:
//   <script type="module" src="https://desk.example/static/widget/community-qa.js" data-loyaldesk-qa
//           data-store="your-store" data-product="PRODUCT-ID"
//           data-customer-id="..." data-customer-signature="..."></script>
// (the customer attributes only for a signed-in shopper, signed by the store's server as for the chat
// widget; data-ask-url may name the store's own page that embeds the member page instead).
// It asks /widget-api/v1/{store}/community/products/{product}/questions (answered only for pages of the
// origins the store allows for its chat) and shows the questions with their accepted answers, and a link
// to the member page to ask. Plain ES module, no inline script or style; the answers' HTML was sanitised
// by the server (nh3) and is inserted through the Trusted Types policy "loyaldesk-community-qa" when the
// page enforces them, else shown as plain text.

const script =
  document.querySelector("script[data-loyaldesk-qa]") ||
  [...document.querySelectorAll("script[type=module][src]")].find((s) => s.src === import.meta.url);
const origin = new URL(import.meta.url).origin;

const htmlPolicy = (() => {
  try {
    return window.trustedTypes?.createPolicy("loyaldesk-community-qa", { createHTML: (html) => html }) ?? null;
  } catch {
    return null;
  }
})();

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function setHtml(node, html, text) {
  try {
    node.innerHTML = htmlPolicy ? htmlPolicy.createHTML(html) : html;
  } catch {
    node.textContent = text; // the page refuses HTML from us: the words still show
  }
}

function safeUrl(url) {
  try {
    const parsed = new URL(url, origin);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function author(view, labels) {
  const parts = [el("span", { class: "ldqa-name", text: view.display_name })];
  if (view.staff) parts.push(el("span", { class: "ldqa-badge ldqa-staff", text: labels.staff }));
  if (view.verified_buyer) parts.push(el("span", { class: "ldqa-badge ldqa-verified", text: labels.verified_buyer }));
  if (view.tier) parts.push(el("span", { class: "ldqa-badge", text: view.tier }));
  return el("span", { class: "ldqa-author" }, ...parts);
}

// A link into the member page, carrying the signed-in shopper's identity (the member page needs it).
function withIdentity(address) {
  const url = safeUrl(address);
  if (!url) return null;
  const link = new URL(url);
  if (script?.dataset.customerId) {
    link.searchParams.set("customer", script.dataset.customerId);
    link.searchParams.set("signature", script.dataset.customerSignature || "");
    if (script.dataset.signatureExpires) link.searchParams.set("expires", script.dataset.signatureExpires);
  }
  return link.href;
}

function askLink(found) {
  if (script?.dataset.askUrl) return safeUrl(script.dataset.askUrl);
  return withIdentity(found.ask_url);
}

export function render(found) {
  const labels = found.labels;
  const list = el("ol", { class: "ldqa-questions" });
  for (const question of found.questions) {
    const item = el(
      "li",
      { class: "ldqa-question", "data-thread-id": String(question.id) },
      el("h3", { class: "ldqa-title", text: question.title }),
      el("p", { class: "ldqa-meta" }, author(question.author, labels), el("span", { text: ` · ${question.answers_label}` })),
    );
    if (question.accepted_answer) {
      const answer = question.accepted_answer;
      const body = el("div", { class: "ldqa-body" });
      setHtml(body, answer.body_html, answer.body);
      item.append(
        el(
          "div",
          { class: "ldqa-answer" },
          el("p", { class: "ldqa-accepted", text: labels.accepted }),
          body,
          el("p", { class: "ldqa-meta" }, author(answer.author, labels)),
        ),
      );
    }
    const url = withIdentity(question.url);
    if (url) item.append(el("a", { class: "ldqa-more", href: url, text: labels.read_more }));
    list.append(item);
  }
  const section = el(
    "section",
    { class: "ldqa", "aria-labelledby": "ldqa-heading" },
    el("h2", { id: "ldqa-heading", text: labels.heading }),
  );
  section.append(found.questions.length ? list : el("p", { class: "ldqa-empty", text: labels.empty }));
  const ask = askLink(found);
  if (ask) section.append(el("a", { class: "ldqa-ask", href: ask, text: labels.ask }));
  return section;
}

async function start() {
  const store = script?.dataset.store;
  const product = script?.dataset.product;
  if (!store || !product) return;
  document.head.append(el("link", { rel: "stylesheet", href: `${origin}/static/widget/community-qa.css` }));
  const query = new URLSearchParams({ language: script.dataset.language || navigator.language || "en" });
  const url = `${origin}/widget-api/v1/${encodeURIComponent(store)}/community/products/${encodeURIComponent(product)}/questions?${query}`;
  let found;
  try {
    const response = await fetch(url);
    if (!response.ok) return; // a page the store did not allow, or too many requests: no block
    found = await response.json();
  } catch {
    return;
  }
  const block = render(found);
  block.dataset.loyaldeskQa = "ready";
  script.after(block);
}

start();
