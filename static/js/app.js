// fleetadmin's own script: small behaviours that HTML and htmx attributes cannot express.
// Loaded from our static files under a nonce CSP: no inline handlers anywhere.
(function () {
  "use strict";
})();
