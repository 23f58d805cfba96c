//! A small directed graph with example evidence per edge, Tarjan's strongly connected components,
//! and enumeration of the elementary cycles inside them.

use std::collections::{BTreeMap, BTreeSet};

/// Upper bound on the cycles listed, so a badly tangled graph still gives a readable message.
const MAX_CYCLES: usize = 200;

/// A directed graph over named nodes; each edge keeps one example location (`file:line`).
#[derive(Debug, Default, Clone)]
pub struct Graph {
    nodes: BTreeSet<String>,
    edges: BTreeMap<String, BTreeMap<String, String>>,
}

impl Graph {
    /// Adds a node without edges.
    pub fn add_node(&mut self, node: &str) {
        self.nodes.insert(node.to_owned());
    }

    /// Adds the edge `from -> to` unless it is a self-edge; the first evidence given is kept.
    pub fn add_edge(&mut self, from: &str, to: &str, evidence: String) {
        self.add_node(from);
        self.add_node(to);
        if from != to {
            self.edges.entry(from.to_owned()).or_default().entry(to.to_owned()).or_insert(evidence);
        }
    }

    /// The successors of `node`, in name order.
    pub fn successors(&self, node: &str) -> impl Iterator<Item = &str> {
        self.edges.get(node).into_iter().flat_map(|m| m.keys().map(String::as_str))
    }

    /// The example location recorded for the edge `from -> to`.
    pub fn evidence(&self, from: &str, to: &str) -> Option<&str> {
        self.edges.get(from)?.get(to).map(String::as_str)
    }
}

/// The strongly connected components with more than one node (Tarjan), each sorted by name.
pub fn tangles(graph: &Graph) -> Vec<Vec<String>> {
    let mut tarjan = Tarjan {
        graph,
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in &graph.nodes {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(node);
        }
    }
    let mut found: Vec<Vec<String>> = tarjan.found.into_iter().filter(|c| c.len() > 1).collect();
    for component in &mut found {
        component.sort();
    }
    found.sort();
    found
}

/// State of Tarjan's algorithm.
struct Tarjan<'g> {
    graph: &'g Graph,
    next: usize,
    index: BTreeMap<&'g str, usize>,
    low: BTreeMap<&'g str, usize>,
    stack: Vec<&'g str>,
    on_stack: BTreeSet<&'g str>,
    found: Vec<Vec<String>>,
}

impl<'g> Tarjan<'g> {
    /// Visits `node` and everything reachable from it, recording finished components.
    fn visit(&mut self, node: &'g str) {
        self.index.insert(node, self.next);
        self.low.insert(node, self.next);
        self.next += 1;
        self.stack.push(node);
        self.on_stack.insert(node);
        for succ in self.graph.successors(node) {
            if !self.index.contains_key(succ) {
                self.visit(succ);
                let low = self.low[node].min(self.low[succ]);
                self.low.insert(node, low);
            } else if self.on_stack.contains(succ) {
                let low = self.low[node].min(self.index[succ]);
                self.low.insert(node, low);
            }
        }
        if self.low[node] == self.index[node] {
            let mut component = Vec::new();
            while let Some(top) = self.stack.pop() {
                self.on_stack.remove(top);
                component.push(top.to_owned());
                if top == node {
                    break;
                }
            }
            self.found.push(component);
        }
    }
}

/// Every elementary cycle (up to a bound), each starting at its smallest node name and listed
/// without repeating the start, e.g. `[a, b]` for `a -> b -> a`.
pub fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for component in tangles(graph) {
        let members: BTreeSet<&str> = component.iter().map(String::as_str).collect();
        for start in &component {
            let allowed = |n: &str| members.contains(n) && n >= start.as_str();
            let mut path = vec![start.as_str()];
            walk(graph, &allowed, &mut path, &mut found);
        }
    }
    found
}

/// Depth-first extension of `path`, recording a cycle whenever an edge leads back to its start.
fn walk<'g>(graph: &'g Graph, allowed: &dyn Fn(&str) -> bool, path: &mut Vec<&'g str>, found: &mut Vec<Vec<String>>) {
    let Some(&last) = path.last() else { return };
    for succ in graph.successors(last) {
        if found.len() >= MAX_CYCLES {
            return;
        }
        if succ == path[0] {
            found.push(path.iter().map(|s| (*s).to_owned()).collect());
        } else if allowed(succ) && !path.contains(&succ) {
            path.push(succ);
            walk(graph, allowed, path, found);
            path.pop();
        }
    }
}

/// Renders a cycle as `a -> b -> a` followed by one example location per edge.
pub fn describe(graph: &Graph, cycle: &[String]) -> String {
    let mut names: Vec<&str> = cycle.iter().map(String::as_str).collect();
    if let Some(&first) = names.first() {
        names.push(first);
    }
    let edges: Vec<String> = names
        .windows(2)
        .map(|w| format!("{} -> {} at {}", w[0], w[1], graph.evidence(w[0], w[1]).unwrap_or("?")))
        .collect();
    format!("{}  ({})", names.join(" -> "), edges.join("; "))
}
