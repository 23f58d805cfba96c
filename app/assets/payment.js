// The payment page: mounts Stripe's payment element into the form and confirms the payment with
// Stripe.js (loaded before this script from the configured URL). The amount is not here: the
// server created the PaymentIntent with it. After paying, Stripe sends the browser to the return
// URL, where the server asks Stripe for the result.
(function () {
  const form = document.getElementById('payment-form');
  if (!form) return;
  const d = form.dataset;
  const box = document.getElementById('payment-message');
  const text = document.getElementById('payment-message-text');
  const button = document.getElementById('payment-submit');
  const show = (message) => { text.textContent = message; box.hidden = false; button.disabled = false; };
  if (typeof window.Stripe !== 'function') { show(d.unavailable); button.disabled = true; return; }
  const stripe = window.Stripe(d.stripeKey, { stripeAccount: d.stripeAccount, locale: d.locale });
  const elements = stripe.elements({ clientSecret: d.clientSecret, locale: d.locale });
  elements.create('payment').mount('#payment-element');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    box.hidden = true;
    button.disabled = true;
    try {
      const { error } = await stripe.confirmPayment({ elements, confirmParams: { return_url: d.returnUrl } });
      // only reached when the payment could not be confirmed (otherwise the browser is redirected)
      if (error) show(error.message || d.unavailable);
    } catch (e) {
      show(d.unavailable);
    }
  });
})();
