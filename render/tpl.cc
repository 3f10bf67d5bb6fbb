// tpl.cc — a C API over Google's ctemplate, the only C++ in apimon.
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include <ctemplate/template.h>

#include "tpl.h"

// A dictionary as the C side sees it.  ctemplate owns the dictionaries of
// sections and includes; their wrappers hang off the top level's list and
// go with it in tpl_free().
struct tpl {
	ctemplate::TemplateDictionary	*d;
	struct tpl			*root;	// nullptr for the top level
	struct tpl			*kids;	// top level: every wrapper made
	struct tpl			*next;
};

extern "C" int
tpl_root(const char *dir)
{
	return ctemplate::mutable_default_template_cache()->
	    SetTemplateRootDirectory(dir) ? 0 : -1;
}

extern "C" struct tpl *
tpl_new(void)
{
	struct tpl *t = new (std::nothrow) tpl();

	if (t == nullptr)
		return nullptr;
	if ((t->d = new (std::nothrow) ctemplate::TemplateDictionary(
	    "apimon")) == nullptr) {
		delete t;
		return nullptr;
	}
	return t;
}

extern "C" void
tpl_free(struct tpl *t)
{
	if (t == nullptr || t->root != nullptr)
		return;
	while (t->kids != nullptr) {
		struct tpl *k = t->kids;
		t->kids = k->next;
		delete k;
	}
	delete t->d;
	delete t;
}

extern "C" void
tpl_set(struct tpl *t, const char *key, const char *value)
{
	t->d->SetValue(key, value ? value : "");
}

extern "C" void
tpl_set_int(struct tpl *t, const char *key, long value)
{
	t->d->SetIntValue(key, value);
}

static struct tpl *
child(struct tpl *parent, ctemplate::TemplateDictionary *d)
{
	struct tpl *root = parent->root ? parent->root : parent;
	struct tpl *k = new (std::nothrow) tpl();

	if (k == nullptr)
		return nullptr;
	k->d = d;
	k->root = root;
	k->next = root->kids;
	root->kids = k;
	return k;
}

extern "C" struct tpl *
tpl_section(struct tpl *t, const char *name)
{
	return child(t, t->d->AddSectionDictionary(name));
}

extern "C" void
tpl_show(struct tpl *t, const char *name)
{
	t->d->ShowSection(name);
}

extern "C" struct tpl *
tpl_include(struct tpl *t, const char *name, const char *file)
{
	ctemplate::TemplateDictionary *d = t->d->AddIncludeDictionary(name);

	d->SetFilename(file);
	return child(t, d);
}

extern "C" char *
tpl_expand(const char *file, struct tpl *t, size_t *len)
{
	std::string	 out;
	char		*s;

	if (!ctemplate::ExpandTemplate(file, ctemplate::STRIP_BLANK_LINES,
	    t->d, &out))
		return nullptr;
	if ((s = static_cast<char *>(std::malloc(out.size() + 1))) == nullptr)
		return nullptr;
	std::memcpy(s, out.data(), out.size() + 1);
	if (len != nullptr)
		*len = out.size();
	return s;
}
