// The visitor's own theme (light or dark; nothing stored: the system's), set on
// <html> before the first paint. Loaded as a blocking script in <head>, external
// for the CSP; site.js draws the control. Tiny on purpose: it delays the page.
"use strict";
try {
  const theme = localStorage.getItem("theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch {
  // Storage switched off: the system's setting rules, as without JavaScript.
}
