// Security keys for Salama: adding one on the account security page, and signing in with one
// on the second-factor page.
//
// Each form marked data-webauthn stays hidden, and its data-webauthn-fallback note shown, until
// this script finds a browser that can use security keys: without JavaScript the pages explain
// themselves and codes keep working.
// Every sentence shown comes from the page (data-msg-* attributes) or from the server, so all
// of it is translated there.
"use strict";

(() => {
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  };

  const toText = (buffer) => {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) {
      binary += String.fromCharCode(byte);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  const withBytes = (descriptors) => (descriptors || []).map((item) => ({ ...item, id: toBytes(item.id) }));

  const creationOptions = (options) => ({
    ...options,
    challenge: toBytes(options.challenge),
    user: { ...options.user, id: toBytes(options.user.id) },
    excludeCredentials: withBytes(options.excludeCredentials),
  });

  const requestOptions = (options) => ({
    ...options,
    challenge: toBytes(options.challenge),
    allowCredentials: withBytes(options.allowCredentials),
  });

  const attestationJSON = (credential) => ({
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      attestationObject: toText(credential.response.attestationObject),
      transports: credential.response.getTransports ? credential.response.getTransports() : [],
    },
  });

  const assertionJSON = (credential) => ({
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      authenticatorData: toText(credential.response.authenticatorData),
      signature: toText(credential.response.signature),
      userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : undefined,
    },
  });

  class Refusal extends Error {
    constructor(error) {
      super(error.message);
      this.code = error.code;
      this.fields = error.fields || {};
      this.redirect = error.redirect;
    }
  }

  // The session ended meanwhile: reloading lets the page itself send the person to sign in.
  class SessionEnded extends Error {}

  const post = async (form, url, body) => {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        // The CSRF cookie is HttpOnly: the token comes from the form, as for any other post.
        "X-CSRFToken": form.elements.namedItem("csrfmiddlewaretoken").value,
      },
      body: JSON.stringify(body),
    });
    if (response.type === "opaqueredirect") {
      throw new SessionEnded();
    }
    const answer = await response.json().catch(() => null);
    if (!answer) {
      throw new Refusal({ code: "unexpected", message: form.dataset.msgFailed });
    }
    if (!response.ok) {
      throw new Refusal(answer.error || { code: "unexpected", message: form.dataset.msgFailed });
    }
    return answer;
  };

  const register = async (form) => {
    const options = await post(form, form.dataset.begin, {});
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    const name = form.elements.namedItem("name").value;
    return post(form, form.action, { name, credential: attestationJSON(credential) });
  };

  const signIn = async (form) => {
    const options = await post(form, form.dataset.begin, {});
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    return post(form, form.action, { credential: assertionJSON(credential) });
  };

  const say = (form, text) => {
    form.querySelector("[data-webauthn-status]").textContent = text || "";
  };

  const showFieldErrors = (form, fields) => {
    for (const holder of form.querySelectorAll("[data-error-for]")) {
      const messages = fields[holder.dataset.errorFor] || [];
      const input = form.elements.namedItem(holder.dataset.errorFor);
      holder.textContent = messages.join(" ");
      holder.hidden = messages.length === 0;
      if (input && messages.length) {
        input.setAttribute("aria-invalid", "true");
      } else if (input) {
        input.removeAttribute("aria-invalid");
      }
    }
  };

  // What the browser reports when a ceremony does not complete, in the page's words.
  const browserProblem = (form, problem) => {
    if (problem.name === "InvalidStateError" && form.dataset.msgKnown) {
      return form.dataset.msgKnown;
    }
    if (problem.name === "NotAllowedError" || problem.name === "AbortError") {
      return form.dataset.msgCancelled;
    }
    return form.dataset.msgFailed;
  };

  const explain = (form, problem) => {
    if (problem instanceof SessionEnded) {
      window.location.reload();
      return;
    }
    if (problem instanceof Refusal && problem.redirect) {
      window.location.assign(problem.redirect);
      return;
    }
    if (problem instanceof Refusal && problem.code === "sign_in_expired" && form.dataset.restart) {
      window.location.assign(form.dataset.restart);
      return;
    }
    showFieldErrors(form, problem instanceof Refusal ? problem.fields : {});
    say(form, problem instanceof Refusal ? problem.message : browserProblem(form, problem));
  };

  const run = async (form, ceremony) => {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    showFieldErrors(form, {});
    say(form, form.dataset.msgWaiting);
    try {
      const answer = await ceremony(form);
      window.location.assign(answer.redirect);
    } catch (problem) {
      explain(form, problem);
      button.disabled = false;
    }
  };

  const ceremonies = { register, "sign-in": signIn };
  const supported = Boolean(window.PublicKeyCredential && navigator.credentials);

  for (const form of document.querySelectorAll("form[data-webauthn]")) {
    const note = (kind) => form.parentElement.querySelector(`[data-webauthn-${kind}]`) || {};
    note("fallback").hidden = true;
    if (!supported) {
      note("unsupported").hidden = false;
      continue;
    }
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(form, ceremonies[form.dataset.webauthn]);
    });
  }
})();
