// Enhancements on top of pages that already work without JavaScript.
// No inline handlers anywhere (the CSP forbids them): everything is wired here.
"use strict";

(() => {
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  // Case studies: the first activation fetches and expands (htmx), the next collapses
  // without a request, and the one after expands again from a fresh fragment.
  const setExpanded = (toggle, expanded) => {
    toggle.setAttribute("aria-expanded", String(expanded));
    toggle.firstChild.textContent = expanded ? "Hide case study" : "View case study";
  };

  document.addEventListener("htmx:before:request", (event) => {
    const toggle = event.target.closest?.(".case-toggle");
    if (!toggle || toggle.getAttribute("aria-expanded") !== "true") return;
    event.preventDefault();
    document.getElementById(toggle.getAttribute("aria-controls")).replaceChildren();
    setExpanded(toggle, false);
  });

  document.addEventListener("htmx:after:swap", (event) => {
    const toggle = event.target.closest?.(".case-toggle");
    if (toggle) setExpanded(toggle, event.detail.ctx.response?.status === 200);
  });

  // A response that is not swapped in (any 5xx, and a 413 from the contact form)
  // would fail silently: show its message instead, or a general one.
  const notice = document.getElementById("notice");
  let noticeTimer;
  const showNotice = (text) => {
    notice.textContent = text;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { notice.textContent = ""; }, 10000);
  };
  const alertIn = (html) =>
    new DOMParser().parseFromString(html || "", "text/html").querySelector("[role=alert]")?.textContent.replace(/\s+/g, " ").trim();

  document.addEventListener("htmx:finally:request", (event) => {
    const { response, swap, text } = event.detail.ctx;
    if (response && response.status >= 400 && swap === "none") {
      showNotice(alertIn(text) || "Sorry, something went wrong on our side. Please try again in a moment.");
    }
  });
  document.addEventListener("htmx:error", (event) => {
    if (!event.detail.ctx?.response) {
      showNotice("The request could not be sent. Please check your connection and try again.");
    }
  });

  // Numbers: the real figures are in the HTML; counting up to them is decoration,
  // so it never runs for visitors who prefer reduced motion.
  const countUp = (element) => {
    const target = Number(element.dataset.count);
    const suffix = element.dataset.suffix || "";
    const duration = 900;
    const start = performance.now();
    const frame = (now) => {
      const progress = Math.min(1, (now - start) / duration);
      const eased = 1 - (1 - progress) ** 3;
      element.textContent = Math.round(target * eased) + suffix;
      if (progress < 1) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  };
  const figures = document.querySelectorAll(".figures dd[data-count]");
  if (figures.length && !reducedMotion.matches && "IntersectionObserver" in window) {
    const observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        countUp(entry.target);
      }
    }, { threshold: 0.6 });
    figures.forEach((figure) => observer.observe(figure));
  }
})();
