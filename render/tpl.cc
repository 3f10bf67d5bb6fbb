// tpl.cc — a C API over Google's ctemplate, the only C++ in apimon.
//
// Every extern "C" function catches every exception: one that reached C
// code would unwind through frames that cannot run their cleanup, or end
// in std::terminate().  Failures become NULL, -1, or the failed flag of
// the top-level dictionary (see tpl.h).
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
	bool				 failed; // top level: a value was lost
};

static struct tpl *
top(struct tpl *t)
{
	return t->root != nullptr ? t->root : t;
}

// t can take more values: it exists and its top level has not failed.
static bool
usable(struct tpl *t)
{
	return t != nullptr && !top(t)->failed;
}

static void
fail(struct tpl *t)
{
	if (t != nullptr)
		top(t)->failed = true;
}

extern "C" int
tpl_root(const char *dir)
{
	if (dir == nullptr)
		return -1;
	try {
		return ctemplate::mutable_default_template_cache()->
		    SetTemplateRootDirectory(dir) ? 0 : -1;
	} catch (...) {
		return -1;
	}
}

extern "C" struct tpl *
tpl_new(void)
{
	struct tpl *t = new (std::nothrow) tpl();

	if (t == nullptr)
		return nullptr;
	try {
		t->d = new ctemplate::TemplateDictionary("apimon");
	} catch (...) {
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
	delete t->d;	// destructors do not throw
	delete t;
}

extern "C" void
tpl_set(struct tpl *t, const char *key, const char *value)
{
	if (!usable(t) || key == nullptr) {
		fail(t);
		return;
	}
	try {
		t->d->SetValue(key, value != nullptr ? value : "");
	} catch (...) {
		fail(t);
	}
}

extern "C" void
tpl_set_global(struct tpl *t, const char *key, const char *value)
{
	if (!usable(t) || key == nullptr) {
		fail(t);
		return;
	}
	try {
		top(t)->d->SetTemplateGlobalValue(key,
		    value != nullptr ? value : "");
	} catch (...) {
		fail(t);
	}
}

extern "C" void
tpl_set_int(struct tpl *t, const char *key, long value)
{
	if (!usable(t) || key == nullptr) {
		fail(t);
		return;
	}
	try {
		t->d->SetIntValue(key, value);
	} catch (...) {
		fail(t);
	}
}

// A wrapper for a dictionary that ctemplate made inside parent's.
static struct tpl *
child(struct tpl *parent, ctemplate::TemplateDictionary *d)
{
	struct tpl *root = top(parent);
	struct tpl *k = new (std::nothrow) tpl();

	if (k == nullptr) {
		fail(parent);
		return nullptr;
	}
	k->d = d;
	k->root = root;
	k->next = root->kids;
	root->kids = k;
	return k;
}

extern "C" struct tpl *
tpl_section(struct tpl *t, const char *name)
{
	if (!usable(t) || name == nullptr) {
		fail(t);
		return nullptr;
	}
	try {
		return child(t, t->d->AddSectionDictionary(name));
	} catch (...) {
		fail(t);
		return nullptr;
	}
}

extern "C" void
tpl_show(struct tpl *t, const char *name)
{
	if (!usable(t) || name == nullptr) {
		fail(t);
		return;
	}
	try {
		t->d->ShowSection(name);
	} catch (...) {
		fail(t);
	}
}

extern "C" struct tpl *
tpl_include(struct tpl *t, const char *name, const char *file)
{
	ctemplate::TemplateDictionary *d;

	if (!usable(t) || name == nullptr || file == nullptr) {
		fail(t);
		return nullptr;
	}
	try {
		d = t->d->AddIncludeDictionary(name);
		d->SetFilename(file);
		return child(t, d);
	} catch (...) {
		fail(t);
		return nullptr;
	}
}

extern "C" int
tpl_failed(const struct tpl *t)
{
	return t == nullptr || (t->root != nullptr ? t->root : t)->failed;
}

extern "C" char *
tpl_expand(const char *file, struct tpl *t, size_t *len)
{
	char	*s;

	if (!usable(t) || file == nullptr)
		return nullptr;
	try {
		std::string	 out;

		if (!ctemplate::ExpandTemplate(file,
		    ctemplate::STRIP_BLANK_LINES, t->d, &out))
			return nullptr;
		if ((s = static_cast<char *>(std::malloc(out.size() + 1))) ==
		    nullptr)
			return nullptr;
		std::memcpy(s, out.data(), out.size() + 1);
		if (len != nullptr)
			*len = out.size();
		return s;
	} catch (...) {
		return nullptr;
	}
}
