import { Component } from '@angular/core';

@Component({ selector: 'app-stub', template: '<p>LocksmithsPage</p>' })
export class LocksmithsPage {}
