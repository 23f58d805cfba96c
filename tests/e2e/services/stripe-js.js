// A stand-in for Stripe.js (https://js.stripe.com/v3/) served by stripe.mjs: the same calls the portal's
// payment page makes — Stripe(pk, {stripeAccount, locale}), stripe.elements({clientSecret, locale}),
// elements.create('payment').mount(el), stripe.confirmPayment({elements, confirmParams: {return_url}})
// — with a plain form instead of Stripe's iframe. Test cards: 4242 4242 4242 4242 succeeds,
// 4000 0000 0000 0002 is declined; SEPA direct debit is processed after a moment; PayPal succeeds.
(function () {
  const BASE = '__STRIPE_BASE__';
  const TEXT = {
    de: { method: 'Zahlungsart', card: 'Kreditkarte', sepa_debit: 'SEPA-Lastschrift', paypal: 'PayPal', number: 'Kartennummer', iban: 'IBAN', paypalNote: 'Sie werden zu PayPal weitergeleitet (Testserver: sofort bestätigt).', incomplete: 'Bitte geben Sie die Kartennummer vollständig ein.' },
    en: { method: 'Payment method', card: 'Card', sepa_debit: 'SEPA Direct Debit', paypal: 'PayPal', number: 'Card number', iban: 'IBAN', paypalNote: 'You will be sent to PayPal (test server: confirmed at once).', incomplete: 'Your card number is incomplete.' },
  };

  async function api(method, path, key, body) {
    const res = await fetch(BASE + path, {
      method,
      headers: { authorization: 'Bearer ' + key, 'content-type': 'application/x-www-form-urlencoded' },
      body: body ? new URLSearchParams(body).toString() : undefined,
    });
    return { status: res.status, json: await res.json() };
  }

  window.Stripe = function (publishableKey, options) {
    const opts = options || {};
    const stripe = {
      elements(eopts) {
        const clientSecret = eopts.clientSecret;
        const lang = (eopts.locale || opts.locale || 'de').startsWith('en') ? 'en' : 'de';
        const t = TEXT[lang];
        const intentId = clientSecret.split('_secret_')[0];
        const state = { method: 'card', number: null, iban: null };
        const elements = {
          _state: state,
          _t: t,
          create(type) {
            if (type !== 'payment') throw new Error('only the payment element is available in the test server');
            return {
              async mount(target) {
                const root = typeof target === 'string' ? document.querySelector(target) : target;
                const { json: pi } = await api('GET', `/v1/payment_intents/${intentId}?client_secret=${encodeURIComponent(clientSecret)}`, publishableKey);
                const methods = pi.payment_method_types || ['card'];
                state.method = methods[0];
                root.innerHTML = '';
                const fs = document.createElement('fieldset');
                fs.className = 'stripe-standin';
                const legend = document.createElement('legend');
                legend.textContent = t.method;
                fs.appendChild(legend);
                methods.forEach((m, i) => {
                  const id = 'stripe-method-' + m;
                  const wrap = document.createElement('div');
                  wrap.innerHTML = `<input type="radio" name="stripe-method" id="${id}" value="${m}" ${i === 0 ? 'checked' : ''}> <label for="${id}">${t[m]}</label>`;
                  wrap.querySelector('input').addEventListener('change', () => { state.method = m; show(); });
                  fs.appendChild(wrap);
                });
                const card = document.createElement('div');
                card.innerHTML = `<label for="stripe-card-number">${t.number}</label><br><input id="stripe-card-number" inputmode="numeric" autocomplete="cc-number" size="24">`;
                const sepa = document.createElement('div');
                sepa.innerHTML = `<label for="stripe-iban">${t.iban}</label><br><input id="stripe-iban" autocomplete="off" size="30">`;
                const paypal = document.createElement('p');
                paypal.textContent = t.paypalNote;
                fs.append(card, sepa, paypal);
                root.appendChild(fs);
                state.number = card.querySelector('input');
                state.iban = sepa.querySelector('input');
                function show() {
                  card.hidden = state.method !== 'card';
                  sepa.hidden = state.method !== 'sepa_debit';
                  paypal.hidden = state.method !== 'paypal';
                }
                show();
              },
            };
          },
        };
        elements._clientSecret = clientSecret;
        elements._intentId = intentId;
        return elements;
      },
      async confirmPayment({ elements, confirmParams, redirect }) {
        const s = elements._state;
        let pm;
        if (s.method === 'card') {
          const digits = (s.number && s.number.value || '').replace(/\s+/g, '');
          if (digits.length < 16) return { error: { type: 'validation_error', code: 'incomplete_number', message: elements._t.incomplete } };
          pm = digits === '4000000000000002' ? 'pm_card_chargeDeclined' : 'pm_card_visa';
        } else {
          pm = s.method === 'sepa_debit' ? 'pm_sepa_debit' : 'pm_paypal';
        }
        const { status, json } = await api('POST', `/v1/payment_intents/${elements._intentId}/confirm`, publishableKey, { client_secret: elements._clientSecret, payment_method: pm, return_url: confirmParams.return_url });
        if (status >= 400) return { error: json.error };
        if (redirect === 'if_required') return { paymentIntent: json };
        const u = new URL(confirmParams.return_url);
        u.searchParams.set('payment_intent', json.id);
        u.searchParams.set('payment_intent_client_secret', elements._clientSecret);
        u.searchParams.set('redirect_status', json.status === 'succeeded' || json.status === 'processing' ? 'succeeded' : 'failed');
        window.location.assign(u.toString());
        return {};
      },
    };
    return stripe;
  };
})();
