// policygraph playground: mounts GraphiQL (vendored UMD build, globals React,
// ReactDOM and GraphiQL) on #graphiql. The endpoint comes from the element's
// data-endpoint attribute; the example tabs from the
// <script type="application/graphql"> blocks of index.html.
(function () {
  'use strict';

  var root = document.getElementById('graphiql');
  var endpoint = root.getAttribute('data-endpoint') || '/graphql';

  // Removes the common indentation and the blank first/last lines that the
  // HTML layout gives the example blocks.
  function dedent(text) {
    var lines = text.replace(/\r\n?/g, '\n').split('\n');
    while (lines.length && !lines[0].trim()) lines.shift();
    while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
    var indent = Infinity;
    lines.forEach(function (line) {
      if (line.trim()) indent = Math.min(indent, line.match(/^[ \t]*/)[0].length);
    });
    if (indent === Infinity) indent = 0;
    return lines.map(function (line) { return line.slice(indent); }).join('\n') + '\n';
  }

  var defaultQuery = '{\n  __typename\n}\n';
  var tabs = [];
  document.querySelectorAll('script[type="application/graphql"]').forEach(function (el) {
    var tab = { query: dedent(el.textContent) };
    var variables = el.getAttribute('data-variables');
    if (variables) tab.variables = variables;
    var headers = el.getAttribute('data-headers');
    if (headers) tab.headers = headers;
    if (el.hasAttribute('data-default')) defaultQuery = tab.query;
    tabs.push(tab);
  });

  // Whether query defines an operation called name.
  function definesOperation(query, name) {
    if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(name)) return true; // not ours to judge
    return new RegExp('\\b(?:query|mutation|subscription)\\s+' + name + '\\b').test(query);
  }

  // POSTs the operation as JSON (GraphQL over HTTP). Headers typed in the
  // headers editor are sent too. A response that is not JSON (a proxy error
  // page, a 502, ...) is shown as a GraphQL error instead of a parse failure.
  function fetcher(params, opts) {
    // GraphiQL 3 updates its operation name 100 ms after the last edit: a
    // query run sooner after a named operation was replaced (e.g. by an
    // anonymous { ... }) is sent with the old name, and servers answer
    // "operation X not found". Send no name that the query does not define.
    if (params.operationName && !definesOperation(params.query || '', params.operationName)) {
      params = Object.assign({}, params);
      delete params.operationName;
    }
    var headers = Object.assign(
      { 'Content-Type': 'application/json', Accept: 'application/json' },
      (opts && opts.headers) || {}
    );
    return fetch(endpoint, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(params),
      credentials: 'same-origin'
    }).then(function (res) {
      return res.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (e) {
          return {
            errors: [{
              message: 'HTTP ' + res.status + ' ' + res.statusText + ' from ' + endpoint +
                ': the response is not JSON',
              extensions: { body: text.slice(0, 2000) }
            }]
          };
        }
      });
    });
  }

  // Subscriptions run over WebSocket on the same endpoint with graphql-transport-ws: GraphiQL's
  // own fetcher bundles the graphql-ws client, and sends the headers editor's JSON (e.g. the
  // Authorization of the headers tab) as the connection_init payload.
  var wsURL = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host +
    new URL(endpoint, location.href).pathname;
  var subscriptions = GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: wsURL });

  function isSubscription(params, opts) {
    var doc = opts && opts.documentAST;
    if (!doc) return /^\s*subscription\b/m.test(params.query || '');
    return doc.definitions.some(function (d) {
      return d.kind === 'OperationDefinition' && d.operation === 'subscription' &&
        (!params.operationName || (d.name && d.name.value === params.operationName));
    });
  }

  function fetchOrSubscribe(params, opts) {
    if (isSubscription(params, opts)) return subscriptions(params, opts);
    return fetcher(params, opts);
  }

  var h = React.createElement;
  root.textContent = '';
  ReactDOM.createRoot(root).render(
    h(GraphiQL, {
      fetcher: fetchOrSubscribe,
      defaultQuery: defaultQuery,
      defaultTabs: tabs.length ? tabs : undefined,
      isHeadersEditorEnabled: true
    }, h(GraphiQL.Logo, null, 'policygraph'))
  );
})();
