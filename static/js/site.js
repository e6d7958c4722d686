// Enhancements on top of pages that already work without JavaScript.
// No inline handlers anywhere (the CSP forbids them): everything is wired here.
"use strict";

(() => {
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  // The theme control: light, dark or the system's, remembered in localStorage
  // (theme.js applies it before the first paint of every later page).
  const themeControl = document.querySelector(".theme-control");
  const showTheme = (choice) => {
    for (const button of themeControl.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.themeChoice === choice));
    }
  };
  if (themeControl) {
    showTheme(document.documentElement.dataset.theme || "system");
    themeControl.hidden = false;
    themeControl.addEventListener("click", (event) => {
      const choice = event.target.closest("button")?.dataset.themeChoice;
      if (!choice) return;
      if (choice === "system") delete document.documentElement.dataset.theme;
      else document.documentElement.dataset.theme = choice;
      try {
        if (choice === "system") localStorage.removeItem("theme");
        else localStorage.setItem("theme", choice);
      } catch {
        // Storage switched off: the choice lasts for this page only.
      }
      showTheme(choice);
    });
  }

  // Case studies: without JavaScript each toggle is a link to the case-study page.
  // Here it becomes a button that expands the study in place (htmx), collapses it
  // without a request, and expands it again from a fresh fragment.
  const setExpanded = (toggle, expanded) => {
    toggle.setAttribute("aria-expanded", String(expanded));
    toggle.firstChild.textContent = expanded ? "Close case study" : "View case study";
  };
  const slotOf = (toggle) => document.getElementById(toggle.getAttribute("aria-controls"));

  // Also after every swap: the filter's morph brings cards back as plain links.
  const enhanceToggles = () => {
    for (const toggle of document.querySelectorAll(".case-toggle:not([role])")) {
      toggle.setAttribute("role", "button");
      toggle.setAttribute("aria-controls", toggle.getAttribute("hx-target").slice(1));
      setExpanded(toggle, slotOf(toggle).childElementCount > 0);
    }
  };
  enhanceToggles();

  // What the visitor has open, kept in this history entry (it outlives the
  // document): Back to this page expands the same studies and returns to the
  // same place, though the page itself is loaded afresh.
  let restoring = Boolean(history.state?.openStudies?.length);
  // The page grows as the studies come back: the scroll is restored once they have.
  if (restoring) history.scrollRestoration = "manual";
  const rememberStudies = () => {
    if (restoring) return;
    const openStudies = [...document.querySelectorAll('.case-toggle[aria-expanded="true"]')].map((toggle) => toggle.id);
    history.replaceState({ ...history.state, openStudies, scrollY: window.scrollY }, "");
  };
  addEventListener("scrollend", rememberStudies);
  const restoreStudies = () => {
    if (!restoring) return;  // nothing was open: the browser's own scrolling (and #anchors) rule
    const { openStudies, scrollY } = history.state;
    const toggles = openStudies.map((id) => document.getElementById(id))
      .filter((toggle) => toggle?.getAttribute("aria-expanded") === "false");
    const done = () => {
      restoring = false;
      window.scrollTo({ top: scrollY, behavior: "instant" });
    };
    if (!toggles.length) return done();
    let waiting = toggles.length;
    for (const toggle of toggles) {
      toggle.addEventListener("htmx:finally:request", () => {
        if (--waiting === 0) done();
      }, { once: true });
      toggle.click();
    }
  };
  // After htmx has processed the page: run by a deferred script, htmx starts in
  // a timeout queued before this one (a click earlier would follow the plain link).
  setTimeout(restoreStudies);

  // The close button at the end of an expanded study: focus goes back to its toggle.
  const collapse = (toggle) => {
    slotOf(toggle).replaceChildren();
    setExpanded(toggle, false);
    rememberStudies();
  };
  document.addEventListener("click", (event) => {
    const close = event.target.closest?.("[data-closes]");
    if (!close) return;
    const toggle = document.getElementById(close.dataset.closes);
    collapse(toggle);
    toggle.focus();
  });

  // A button answers Space as well as Enter (a link only Enter; Space would scroll).
  document.addEventListener("keydown", (event) => {
    if (event.key !== " " || !event.target.matches?.('.case-toggle[role="button"]')) return;
    event.preventDefault();
    if (!event.repeat) event.target.click();
  });

  // Feedback on every request that waits on the network. htmx puts the class
  // htmx-request on the control at once; here the region that will change gets
  // aria-busy (the CSS shows both), counted, since a newer filter request
  // replaces an older one and both finish.
  const busy = new Map();
  const markBusy = (region, change) => {
    const count = (busy.get(region) || 0) + change;
    if (count > 0) busy.set(region, count);
    else busy.delete(region);
    if (count > 0) region.setAttribute("aria-busy", "true");
    else region.removeAttribute("aria-busy");
  };

  // Focus is never left on the body: when a swap removes the focused element,
  // focus moves into what replaced it; when a request ends without a swap (or
  // the control was disabled while it waited), focus returns to that control.
  const focusLost = () => !document.activeElement || document.activeElement === document.body;
  // htmx itself focuses an [autofocus] field after a swap; this is for the rest.
  const FOCUSABLE = "input:not([type=hidden]):not([tabindex='-1']), textarea, select, button, a[href], [tabindex='0']";
  const focusInto = (region) => {
    const first = [...region.querySelectorAll(FOCUSABLE)].find((element) => element.getClientRects().length);
    first?.focus();
  };

  // The sticky header's real height (it wraps on narrow screens), for CSS:
  // whatever is scrolled to, an anchor or an alert, lands below it.
  const header = document.querySelector(".site-header");
  const measureHeader = () => document.documentElement.style.setProperty("--header-height", `${header.offsetHeight}px`);
  if (header) {
    measureHeader();
    new ResizeObserver(measureHeader).observe(header);
  }

  // An alert a swap brings (the form's 400, 422 and 429, an error fragment) is
  // scrolled into view below the header, and focus goes to the first thing to
  // act on: the first field marked invalid, else a link or button in the alert
  // (send again, write by e-mail), else the alert itself. role=alert announces it.
  const showAlert = (region) => {
    const alert = region?.querySelector?.("[role=alert]");
    if (!alert || !alert.getClientRects().length) return;
    const act = region.querySelector("[aria-invalid=true]") || alert.querySelector("a[href], button") || alert;
    act.focus({ preventScroll: true });
    alert.scrollIntoView({ block: "start", behavior: reducedMotion.matches ? "instant" : "smooth" });
  };

  // An extension, not document listeners: htmx tells extensions about every
  // request, even one whose element a swap has just removed from the page.
  htmx.registerExtension("visitor-feedback", {
    htmx_config_request: (element) => {
      // hx-sync lets a newer chip replace one still loading; the same chip
      // again is ignored rather than restarting its own request.
      if (element.matches(".chip.htmx-request")) return false;
    },
    htmx_before_request: (element, { ctx }) => {
      const toggle = element.closest?.(".case-toggle");
      if (toggle && toggle.getAttribute("aria-expanded") === "true") {
        collapse(toggle);
        return false;
      }
      const control = ctx.request.submitter || element;
      ctx.visitorFocus = control.contains(document.activeElement) || document.activeElement === control;
      if (!ctx.target) return;
      ctx.busyRegion = ctx.target;
      markBusy(ctx.target, +1);
    },
    htmx_before_swap: (element, { ctx }) => {
      const focused = document.activeElement;
      ctx.focusInTarget = Boolean(focused && focused !== document.body && ctx.target?.contains(focused));
      ctx.targetParent = ctx.target?.parentElement;
    },
    htmx_finally_swap: (element, { ctx }) => {
      const region = ctx.target?.isConnected ? ctx.target : ctx.targetParent;
      if (ctx.focusInTarget && focusLost()) focusInto(region);
      // After htmx's own [autofocus]: the alert then comes into view with the field below it.
      setTimeout(() => showAlert(region));
    },
    htmx_after_swap: (element, { ctx }) => {
      enhanceToggles();
      const toggle = element.closest?.(".case-toggle");
      if (toggle) {
        setExpanded(toggle, ctx.response?.status === 200);
        rememberStudies();
      }
      // A filtered list names its technology in the title, as its page does.
      const title = ctx.target?.querySelector?.(":scope > .filter[data-page-title]")?.dataset.pageTitle;
      if (title) document.title = title;
    },
    htmx_finally_request: (element, { ctx }) => {
      if (ctx.busyRegion) markBusy(ctx.busyRegion, -1);
      if (!ctx.visitorFocus && !ctx.focusInTarget) return;
      // After htmx has enabled the controls it disabled for the request.
      setTimeout(() => {
        const control = ctx.request.submitter || element;
        if (focusLost() && control.isConnected) control.focus();
      });
    },
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

  // Numbers: the real figures are in the HTML, and stay there: counting up to
  // them is decoration, painted over them (data-shown, CSS ::before), so
  // printing, copying and reading always get the real figure. It never runs for
  // visitors who prefer reduced motion. A figure already on screen keeps its
  // real value; one further down shows zero before it is first seen, so no
  // visitor sees the real figure and then a smaller one.
  const countUp = (element) => {
    const target = Number(element.dataset.count);
    const suffix = element.dataset.suffix || "";
    const duration = 900;
    const start = performance.now();
    const frame = (now) => {
      const progress = Math.min(1, (now - start) / duration);
      const eased = 1 - (1 - progress) ** 3;
      element.dataset.shown = Math.round(target * eased) + suffix;
      if (progress < 1) requestAnimationFrame(frame);
      else delete element.dataset.shown;
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
    });
    for (const figure of figures) {
      const box = figure.getBoundingClientRect();
      if (box.bottom > 0 && box.top < window.innerHeight) continue;
      figure.dataset.shown = "0" + (figure.dataset.suffix || "");
      observer.observe(figure);
    }
  }
})();
