using System.Xml;
using System.Xml.XPath;
using AngleSharp.Dom;

namespace LoadKit.HttpSteps;

/// <summary>
/// The AngleSharp DOM of an HTML document as .NET's <see cref="XPathNavigator"/>, so that the framework's own XPath 1.0
/// engine (System.Xml.XPath) evaluates expressions over the one parse that CSS selectors use too (the approach of the
/// AngleSharp.XPath project, kept small). The data model, as HtmlAgilityPack's navigator had it:
/// <list type="bullet">
/// <item>The root is the document; below it elements, text (CDATA too), comments and processing instructions; a doctype
/// is not a node. A <c>template</c> element's content is a separate fragment in the DOM, so it is not below the element.</item>
/// <item>An element's attributes are its attribute nodes, <c>xmlns</c> ones included; there are no namespace nodes.</item>
/// <item>Names are in no namespace, spelt as the parser left them (HTML names lower-case; SVG's <c>viewBox</c> or
/// <c>xlink:href</c> as written there), and <c>local-name()</c> equals <c>name()</c>. So <c>//div</c> finds HTML elements
/// (which the DOM puts in the XHTML namespace) and <c>//svg/path</c> SVG ones; a prefixed name test such as
/// <c>@xlink:href</c> needs a namespace manager, which there is none of: <c>@*[name()='xlink:href']</c> does it.</item>
/// <item>A node's value is its XPath string-value: an element's or the root's is the text of all its descendant text
/// nodes, with character references decoded.</item>
/// </list>
/// The nodes are numbered once in document order, with their links as numbers (<see cref="Tree"/>): AngleSharp finds a
/// node's sibling by searching its parent's children, which made sibling steps and the engine's document-order
/// comparisons (unions, <c>//a//b</c>) quadratic on long pages. A navigator is then a position (node number, attribute
/// index) in that shared tree: cheap to clone, as the engine clones a lot.
/// </summary>
internal sealed class HtmlXPathNavigator : XPathNavigator
{
    private readonly Tree _tree;
    private int _node; // the number of the current node (0 is the document) or of the element whose attribute is current
    private int _attribute; // the index among the element's attributes when on an attribute, else -1

    /// <summary>A navigator on the document's root; numbers the document's nodes (once: clones share them).</summary>
    public HtmlXPathNavigator(IDocument document)
        : this(new Tree(document), 0, -1)
    {
    }

    private HtmlXPathNavigator(Tree tree, int node, int attribute)
    {
        _tree = tree;
        _node = node;
        _attribute = attribute;
    }

    public override XmlNameTable NameTable => _tree.Names;

    public override string BaseURI => string.Empty;

    public override object UnderlyingObject => OnAttribute ? CurrentAttribute : Current;

    public override XPathNodeType NodeType => OnAttribute ? XPathNodeType.Attribute : Current.NodeType switch
    {
        AngleSharp.Dom.NodeType.Element => XPathNodeType.Element,
        AngleSharp.Dom.NodeType.Text or AngleSharp.Dom.NodeType.CharacterData => XPathNodeType.Text,
        AngleSharp.Dom.NodeType.Comment => XPathNodeType.Comment,
        AngleSharp.Dom.NodeType.ProcessingInstruction => XPathNodeType.ProcessingInstruction,
        _ => XPathNodeType.Root,
    };

    public override string Name => OnAttribute ? AttributeName(CurrentAttribute) : Current switch
    {
        IElement { Prefix: null } element => element.LocalName,
        IElement element => element.Prefix + ":" + element.LocalName,
        IProcessingInstruction instruction => instruction.Target,
        _ => string.Empty,
    };

    /// <summary>The whole name: every node is in no namespace (see the class comment).</summary>
    public override string LocalName => Name;

    public override string NamespaceURI => string.Empty;

    public override string Prefix => string.Empty;

    public override string Value => OnAttribute ? CurrentAttribute.Value : Current switch
    {
        IDocument document => document.DocumentElement?.TextContent ?? string.Empty,
        var node => node.TextContent ?? string.Empty,
    };

    public override bool IsEmptyElement => !OnAttribute && Current is IElement && _tree.FirstChild[_node] < 0;

    private bool OnAttribute => _attribute >= 0;

    private INode Current => _tree.Nodes[_node];

    private IAttr CurrentAttribute => ((IElement)Current).Attributes[_attribute]!;

    public override XPathNavigator Clone() => new HtmlXPathNavigator(_tree, _node, _attribute);

    public override bool IsSamePosition(XPathNavigator other) =>
        other is HtmlXPathNavigator at && at._tree == _tree && at._node == _node && at._attribute == _attribute;

    /// <summary>Document order is the numbering; an element's attributes come after it and before its children.</summary>
    public override XmlNodeOrder ComparePosition(XPathNavigator? other)
    {
        if (other is not HtmlXPathNavigator at || at._tree != _tree)
        {
            return XmlNodeOrder.Unknown;
        }

        var order = _node != at._node ? _node.CompareTo(at._node) : _attribute.CompareTo(at._attribute);
        return order < 0 ? XmlNodeOrder.Before : order > 0 ? XmlNodeOrder.After : XmlNodeOrder.Same;
    }

    public override bool MoveTo(XPathNavigator other)
    {
        if (other is not HtmlXPathNavigator at || at._tree != _tree)
        {
            return false;
        }

        (_node, _attribute) = (at._node, at._attribute);
        return true;
    }

    public override void MoveToRoot() => (_node, _attribute) = (0, -1);

    public override bool MoveToFirstChild() => !OnAttribute && MoveToNode(_tree.FirstChild[_node]);

    public override bool MoveToNext() => !OnAttribute && MoveToNode(_tree.NextSibling[_node]);

    public override bool MoveToPrevious() => !OnAttribute && MoveToNode(_tree.PreviousSibling[_node]);

    public override bool MoveToParent()
    {
        if (OnAttribute)
        {
            _attribute = -1;
            return true;
        }

        return MoveToNode(_tree.Parent[_node]);
    }

    public override bool MoveToFirstAttribute()
    {
        if (OnAttribute || Current is not IElement { Attributes.Length: > 0 })
        {
            return false;
        }

        _attribute = 0;
        return true;
    }

    public override bool MoveToNextAttribute()
    {
        if (!OnAttribute || _attribute + 1 >= ((IElement)Current).Attributes.Length)
        {
            return false;
        }

        _attribute++;
        return true;
    }

    public override bool MoveToFirstNamespace(XPathNamespaceScope namespaceScope) => false;

    public override bool MoveToNextNamespace(XPathNamespaceScope namespaceScope) => false;

    /// <summary>For XPath's <c>id()</c>: the element with that <c>id</c> attribute.</summary>
    public override bool MoveToId(string id) =>
        ((IDocument)_tree.Nodes[0]).GetElementById(id) is { } element && MoveToNode(Array.IndexOf(_tree.Nodes, element));

    // The parser keeps the namespace of SVG's xlink:href, xml:lang or xmlns:xlink but drops the prefix: it is put back.
    private static string AttributeName(IAttr attribute)
    {
        var prefix = attribute.Prefix ?? attribute.NamespaceUri switch
        {
            var ns when ns == NamespaceNames.XLinkUri => NamespaceNames.XLinkPrefix,
            var ns when ns == NamespaceNames.XmlUri => NamespaceNames.XmlPrefix,
            var ns when ns == NamespaceNames.XmlNsUri && attribute.LocalName != NamespaceNames.XmlNsPrefix => NamespaceNames.XmlNsPrefix,
            _ => null,
        };
        return prefix is null ? attribute.LocalName : prefix + ":" + attribute.LocalName;
    }

    private bool MoveToNode(int node)
    {
        if (node < 0)
        {
            return false;
        }

        (_node, _attribute) = (node, -1);
        return true;
    }

    /// <summary>
    /// The document's nodes in document order (0 is the document), with parent, first child and siblings by number
    /// (-1: none). A doctype, or any other node outside XPath's model, is left out.
    /// </summary>
    private sealed class Tree
    {
        public Tree(IDocument document)
        {
            var nodes = new List<INode>();
            List<int> parent = [], firstChild = [], lastChild = [], next = [], previous = [];
            var pending = new Stack<(INode Node, int Parent)>([(document, -1)]); // depth first, children pushed last to first
            while (pending.TryPop(out var item))
            {
                var at = nodes.Count;
                var up = item.Parent;
                nodes.Add(item.Node);
                parent.Add(up);
                firstChild.Add(-1);
                lastChild.Add(-1);
                next.Add(-1);
                previous.Add(up < 0 ? -1 : lastChild[up]);
                if (up >= 0 && lastChild[up] < 0)
                {
                    firstChild[up] = at;
                }
                else if (up >= 0)
                {
                    next[lastChild[up]] = at;
                }

                if (up >= 0)
                {
                    lastChild[up] = at;
                }

                var children = item.Node.ChildNodes;
                for (var i = children.Length - 1; i >= 0; i--)
                {
                    if (children[i].NodeType is AngleSharp.Dom.NodeType.Element or AngleSharp.Dom.NodeType.Text or AngleSharp.Dom.NodeType.CharacterData
                        or AngleSharp.Dom.NodeType.Comment or AngleSharp.Dom.NodeType.ProcessingInstruction)
                    {
                        pending.Push((children[i], at));
                    }
                }
            }

            (Nodes, Parent, FirstChild, NextSibling, PreviousSibling) = (nodes.ToArray(), parent.ToArray(), firstChild.ToArray(), next.ToArray(), previous.ToArray());
        }

        public XmlNameTable Names { get; } = new NameTable();

        public INode[] Nodes { get; }

        public int[] Parent { get; }

        public int[] FirstChild { get; }

        public int[] NextSibling { get; }

        public int[] PreviousSibling { get; }
    }
}
