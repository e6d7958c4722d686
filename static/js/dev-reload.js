// Development only (`make run`; app/development.py adds this script and its
// endpoint only there): reload the page after any edit under data/, templates/
// or static/. A long poll: the server answers when the edit count changes.
"use strict";

(async () => {
  let seen = null;
  for (;;) {
    try {
      const response = await fetch(`/__dev/changes?since=${seen ?? ""}`, { cache: "no-store" });
      const version = await response.text();
      if (seen !== null && version !== seen) {
        location.reload();
        return;
      }
      seen = version;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));  // the server is restarting
    }
  }
})();
