/* Check-in page: read the QR code with the device's camera, as a progressive enhancement.

   No build step, no library: the browser's own BarcodeDetector (formats ["qr_code"]) reads
   frames of getUserMedia({video: {facingMode: "environment"}}). A code that is read is put in
   the page's text field and the form is submitted, exactly as a handheld scanner (which types
   the code and presses Enter) or a person typing would do. Where BarcodeDetector or a camera
   is missing, the camera button stays hidden and the text field is all there is.

   The same code is submitted once: it is read again only after it has been out of sight for
   SAME_CODE_MS (this survives the page load the form submission causes, in sessionStorage),
   and a camera that was on stays on for the next person. The words come from the page's
   data-* attributes, translated by the server. */
(function () {
  "use strict";

  var SAME_CODE_MS = 5000;
  var SCAN_EVERY_MS = 200;
  var STORE = "checkin-scanner";

  var form = document.getElementById("checkin-form");
  var field = document.getElementById("code");
  var box = document.getElementById("scanner");
  var button = document.getElementById("scanner-toggle");
  var video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status");
  if (!form || !field || !box || !button || !video || !status) {
    return;
  }
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return; // the button stays hidden: the text field does the job
  }

  var detector = null;
  var stream = null;
  var timer = null;
  var submitting = false;

  function say(key) {
    status.textContent = box.getAttribute("data-" + key) || "";
  }

  function memory() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORE) || "{}") || {};
    } catch (error) {
      return {};
    }
  }

  function remember(changes) {
    try {
      var current = memory();
      Object.keys(changes).forEach(function (key) {
        current[key] = changes[key];
      });
      window.sessionStorage.setItem(STORE, JSON.stringify(current));
    } catch (error) {
      // private mode without storage: the camera just does not come back on by itself
    }
  }

  function release() {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
    video.hidden = true;
    button.textContent = box.getAttribute("data-start-label");
  }

  function stop(key) {
    release();
    remember({ on: false });
    if (key) {
      say(key);
    }
  }

  function giveUp(key) {
    // no camera after all, or no permission: hide the button, keep the text field
    stop(key);
    button.hidden = true;
    field.focus();
  }

  function submit(code) {
    submitting = true;
    field.value = code;
    say("found");
    release();
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function scan() {
    timer = null;
    if (!stream || submitting) {
      return;
    }
    if (video.readyState < 2) { // HAVE_CURRENT_DATA: nothing to look at yet
      timer = window.setTimeout(scan, SCAN_EVERY_MS);
      return;
    }
    detector.detect(video).then(function (codes) {
      var code = codes.length ? String(codes[0].rawValue || "").trim() : "";
      if (code && stream && !submitting) {
        var last = memory();
        var now = Date.now();
        var seenJustNow = code === last.code && now - (last.seen || 0) < SAME_CODE_MS;
        remember({ code: code, seen: now });
        if (!seenJustNow) {
          submit(code);
          return;
        }
      }
      if (stream) {
        timer = window.setTimeout(scan, SCAN_EVERY_MS);
      }
    }, function () {
      if (stream) {
        timer = window.setTimeout(scan, SCAN_EVERY_MS);
      }
    });
  }

  function start() {
    say("starting");
    button.disabled = true;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        return video.play();
      })
      .then(function () {
        button.disabled = false;
        button.textContent = box.getAttribute("data-stop-label");
        remember({ on: true });
        say("ready");
        scan();
      })
      .catch(function (error) {
        button.disabled = false;
        var refused = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
        giveUp(refused ? "denied" : "unavailable");
      });
  }

  button.addEventListener("click", function () {
    if (stream) {
      stop("stopped");
      field.focus();
    } else {
      start();
    }
  });

  // Leaving the page (the form submission included) lets go of the camera.
  window.addEventListener("pagehide", release);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && detector && !button.hidden) { // back from the browser's page cache
      submitting = false;
      if (memory().on) {
        start();
      }
    }
  });

  var formats = typeof window.BarcodeDetector.getSupportedFormats === "function"
    ? window.BarcodeDetector.getSupportedFormats()
    : Promise.resolve(["qr_code"]);
  formats
    .then(function (supported) {
      if (supported.indexOf("qr_code") < 0) {
        return [];
      }
      return navigator.mediaDevices.enumerateDevices ? navigator.mediaDevices.enumerateDevices() : [{ kind: "videoinput" }];
    })
    .then(function (devices) {
      var camera = devices.some(function (device) {
        return device.kind === "videoinput";
      });
      if (!camera) {
        return;
      }
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      box.hidden = false;
      if (memory().on) {
        start(); // it was on for the previous person: keep scanning
      }
    })
    .catch(function () {
      // no way to tell: stay with the text field
    });
})();
